package signature

import (
	"context"
	"net/http"

	"github.com/apikit-go/apikit/problem"
)

// Handler returns a handler that verifies every request with
// [Verifier.VerifyRequest] before next sees it. A rejected request is
// answered through [problem.WriteTo] (the [WithErrorWriter] writer, else
// the API's writer from the request context, else plain RFC 9457) and next
// is not called: 401 with one of [MissingSignature], [InvalidSignature],
// [TimestampOutOfTolerance] or [ReplayedRequest] and a WWW-Authenticate
// header naming the scheme, 413 for a body over the limit, 503 when the
// replay store fails. The answer never holds the expected signature or the
// computed MAC. An accepted request reaches next with its body readable
// again and the [Message] in its context ([FromContext]).
func (v *Verifier) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := v.VerifyRequest(r)
		if err != nil {
			v.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), m)))
	})
}

// writeError answers err; a 401 gets the scheme's WWW-Authenticate
// challenge (RFC 9110 §11.6.1), which every 401 must carry.
func (v *Verifier) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if p := problem.From(err); p != nil && p.StatusCode() == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", v.scheme.challenge())
	}
	problem.WriteTo(v.errWriter, w, r, err)
}

type contextKey struct{}

// NewContext returns a copy of ctx that carries m, as [Verifier.Handler]
// passes it on; tests of handlers use it to stand in for the middleware.
func NewContext(ctx context.Context, m Message) context.Context {
	return context.WithValue(ctx, contextKey{}, m)
}

// FromContext returns the verified message that [Verifier.Handler] put in
// the request's context, and whether there is one.
func FromContext(ctx context.Context) (Message, bool) {
	m, ok := ctx.Value(contextKey{}).(Message)
	return m, ok
}
