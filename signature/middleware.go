package signature

import (
	"context"
	"net/http"
)

// Middleware verifies every request with [Verifier.VerifyRequest] before
// next sees it. A rejected request is answered through the error writer
// ([WithErrorWriter]; problem.Writer{} by default) and next is not called:
// 401 with one of [MissingSignature], [InvalidSignature],
// [TimestampOutOfTolerance] or [ReplayedRequest], 413 for a body over the
// limit. The answer never holds the expected signature or the computed
// MAC. An accepted request reaches next with its body readable again and
// the [Message] in its context ([FromContext]).
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := v.VerifyRequest(r)
		if err != nil {
			v.errWriter.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), m)))
	})
}

type contextKey struct{}

// NewContext returns a copy of ctx that carries m.
func NewContext(ctx context.Context, m Message) context.Context {
	return context.WithValue(ctx, contextKey{}, m)
}

// FromContext returns the verified message that [Verifier.Middleware] put
// in the request's context, and whether there is one.
func FromContext(ctx context.Context) (Message, bool) {
	m, ok := ctx.Value(contextKey{}).(Message)
	return m, ok
}
