package signature_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

// Issue 10: with no error writer given to the verifier, its 401 is written
// in the dialect of the API's writer found in the request context.
func TestMiddlewareAnswersInTheContextDialect(t *testing.T) {
	tests := []struct {
		name    string
		dialect envelope.Dialect
		want    string // a fragment only this dialect writes
	}{
		{"standard", envelope.Standard(), `"success":false`},
		{"meta", envelope.Meta("2025-01-01"), `"error":{"code":"auth/missing-signature"`},
		{"ack", envelope.Ack(), `"responseType":"ERROR"`},
		{"records", envelope.Records(), `"code":"auth/missing-signature"`},
		{"plain", envelope.Plain(), `"code":"auth/missing-signature"`},
	}
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA})
	h := v.Handler(http.NotFoundHandler())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wr := envelope.New(tt.dialect)
			r := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader("{}"))
			r = r.WithContext(problem.ContextWithWriter(r.Context(), wr))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 401 || !strings.Contains(w.Body.String(), tt.want) {
				t.Fatalf("status %d, body %s; want 401 with %s", w.Code, w.Body, tt.want)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != "Webhook-Signature" {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
		})
	}
}
