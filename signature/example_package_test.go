package signature_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apikit-go/apikit/signature"
)

// The sender signs a webhook; the receiver's middleware lets it through
// and refuses a tampered copy with 401.
func Example() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	signer, err := signature.NewSigner(signature.StandardWebhooks(), []string{secret})
	if err != nil {
		panic(err)
	}
	verifier, err := signature.NewVerifier(signature.StandardWebhooks(), []string{secret})
	if err != nil {
		panic(err)
	}
	defer verifier.Close()
	receiver := verifier.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "accepted %s\n", body)
	}))

	for _, tamper := range []bool{false, true} {
		req := httptest.NewRequest("POST", "/webhooks", strings.NewReader(`{"type":"order.shipped"}`))
		if err := signer.SignRequest(req); err != nil {
			panic(err)
		}
		if tamper {
			req.Body = io.NopCloser(strings.NewReader(`{"type":"order.refunded"}`))
		}
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)
		fmt.Printf("%d WWW-Authenticate=%q\n", rec.Code, rec.Header().Get("WWW-Authenticate"))
		fmt.Print(rec.Body.String())
	}
	// Output:
	// 200 WWW-Authenticate=""
	// accepted {"type":"order.shipped"}
	// 401 WWW-Authenticate="Webhook-Signature"
	// {"type":"about:blank","title":"Invalid signature","status":401,"detail":"No signature in the webhook-signature header matches the request","code":"auth/invalid-signature"}
}
