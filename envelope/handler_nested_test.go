package envelope_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
)

// A Handler nested in a Handler of the same writer passes the request on
// as it is (no copy, no context value added); one of another writer puts
// that writer in the context, and the request keeps its ID.
func TestNestedHandlerOfTheSameWriter(t *testing.T) {
	std := envelope.New(envelope.Standard())
	plain := envelope.New(envelope.Plain())
	for _, tc := range []struct {
		name     string
		inner    *envelope.Writer
		sameReq  bool
		wantType string
	}{
		{"same writer", std, true, "application/json"},
		{"other writer", plain, false, "application/problem+json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var outerReq, innerReq *http.Request
			var outerID, innerID string
			inner := tc.inner.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				innerReq = r
				innerID, _ = envelope.RequestIDFrom(r.Context())
				problem.Write(w, r, errors.New("boom")) // answered by the writer in the context
			}))
			outer := std.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				outerReq = r
				outerID, _ = envelope.RequestIDFrom(r.Context())
				inner.ServeHTTP(w, r)
			}))
			rec := httptest.NewRecorder()
			outer.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
			if (innerReq == outerReq) != tc.sameReq {
				t.Errorf("inner handler got the outer request: %v, want %v", innerReq == outerReq, tc.sameReq)
			}
			if innerID == "" || innerID != outerID || rec.Header().Get("X-Request-Id") != outerID {
				t.Errorf("request IDs: outer %q, inner %q, header %q", outerID, innerID, rec.Header().Get("X-Request-Id"))
			}
			if got := rec.Header().Get("Content-Type"); got != tc.wantType || rec.Code != 500 {
				t.Errorf("error answered %d %s, want 500 %s", rec.Code, got, tc.wantType)
			}
		})
	}
}
