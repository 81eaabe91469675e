package signature_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

// checkFuzzResult fails unless err is nil or a 401 problem of this package.
func checkFuzzResult(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status != 401 {
		t.Fatalf("err = %v, want a 401 problem", err)
	}
	for _, d := range signature.Definitions() {
		if errors.Is(err, d) {
			return
		}
	}
	t.Fatalf("err = %v is none of the package's problems", err)
}

func FuzzStandardWebhooksHeaders(f *testing.F) {
	f.Add(vecMsgID, "1614265330", vecSignature, []byte(vecPayload))
	f.Add(vecMsgID, "1614265330", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc "+vecSignature, []byte(vecPayload))
	f.Add("", "", "", []byte(nil))
	f.Add("msg_1", "99999999999999999999", "v1,", []byte("{}"))
	f.Add("m", "0", "v1a,xx v1,!!!! ,,, v1", []byte("x"))
	v := mustVerifier(f, signature.StandardWebhooks(), []string{vecSecret, secretB},
		signature.WithClock(fixedClock(vecTime)), signature.WithTolerance(30*24*time.Hour))
	s := mustSigner(f, signature.StandardWebhooks(), []string{vecSecret})
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h["Webhook-Id"] = []string{id}
		h["Webhook-Timestamp"] = []string{ts}
		h["Webhook-Signature"] = []string{sig}
		_, err := v.Verify(context.Background(), h, body)
		checkFuzzResult(t, err)

		// Whatever the id and body, a message the signer accepts verifies.
		signed := http.Header{}
		if s.Sign(signed, id, vecTime, body) == nil {
			m, err := v.Verify(context.Background(), signed, body)
			if err != nil || m.ID != id {
				t.Fatalf("signed message (id %q) did not verify: %+v, %v", id, m, err)
			}
		}
	})
}

func FuzzStripeHeader(f *testing.F) {
	f.Add("t=1614265330,v1="+vecStripeHex, []byte(vecPayload))
	f.Add("t=1614265330,v1=ab,v0="+vecStripeHex+",v1="+vecStripeHex, []byte(vecPayload))
	f.Add("t=,t=1,v1=", []byte(nil))
	f.Add(",,,=,==,t==1", []byte("x"))
	v := mustVerifier(f, signature.Stripe("X-ICP-Signature"), []string{vecSecret},
		signature.WithClock(fixedClock(vecTime)), signature.WithTolerance(30*24*time.Hour))
	f.Fuzz(func(t *testing.T, value string, body []byte) {
		h := http.Header{"X-Icp-Signature": {value}}
		_, err := v.Verify(context.Background(), h, body)
		checkFuzzResult(t, err)
	})
}

func FuzzSecret(f *testing.F) {
	f.Add(vecSecret)
	f.Add("whsec_")
	f.Add("whsec_====")
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, secret string) {
		for _, sc := range []signature.Scheme{signature.StandardWebhooks(), signature.Stripe("")} {
			v, err := signature.NewVerifier(sc, []string{secret})
			if err != nil {
				continue
			}
			s, err := signature.NewSigner(sc, []string{secret})
			if err != nil {
				t.Fatalf("NewSigner rejects what NewVerifier accepts: %v", err)
			}
			h := http.Header{}
			if err := s.Sign(h, "msg_f", time.Now(), []byte("body")); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Verify(context.Background(), h, []byte("body")); err != nil {
				t.Fatalf("%s: own signature rejected: %v", sc, err)
			}
		}
	})
}
