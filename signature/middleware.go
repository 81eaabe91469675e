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
//
// With replay protection, a message's id is spent only when the request
// is accepted: next answers with a status below 400 (a 2xx, a 3xx, or
// nothing, which is a 200). While next runs the id is held, so a copy of
// the message sent meanwhile is refused as replayed; when next answers
// with a 4xx or a 5xx, or panics, the id is released ([Verifier.Release])
// and the sender may deliver the message again, re-signed with the same
// id or as it was while its timestamp is within the tolerance. An error
// status means the message was not acted upon — a 503 or 429 from a later
// middleware, a 400 or 409 from the handler — so letting it through again
// lets a retry succeed and gives a replay nothing it did not already have.
// A handler that acts on a message and then answers 4xx should answer 2xx
// instead.
func (v *Verifier) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, err := v.VerifyRequest(r)
		if err != nil {
			v.writeError(w, r, err)
			return
		}
		ctx := NewContext(r.Context(), m)
		if m.key == "" {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		accepted := false
		defer func() {
			if !accepted {
				// Even when the client has gone: the store call has its own
				// deadline.
				_ = v.Release(context.WithoutCancel(r.Context()), m)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
		accepted = sw.status() < 400
	})
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush passes a flush on, so streaming handlers keep working.
func (s *statusWriter) Flush() {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// writeError answers err; a 401 carries the scheme's WWW-Authenticate
// challenge (RFC 9110 §11.6.1), which every 401 must, in place of any
// other challenge the error writer sets (such as a default "Bearer").
func (v *Verifier) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if p := problem.From(err); p != nil && p.StatusCode() == http.StatusUnauthorized {
		w = &challengeWriter{ResponseWriter: w, challenge: v.scheme.challenge()}
	}
	problem.WriteTo(v.errWriter, w, r, err)
}

// challengeWriter sets WWW-Authenticate as a 401 status is written.
type challengeWriter struct {
	http.ResponseWriter
	challenge string
}

func (c *challengeWriter) WriteHeader(code int) {
	if code == http.StatusUnauthorized {
		c.Header().Set("WWW-Authenticate", c.challenge)
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

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
