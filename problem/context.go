package problem

import (
	"context"
	"net/http"

	"github.com/apikit-go/apikit/internal/ctxkey"
)

// ContextWithWriter returns a copy of ctx that carries ew, the API's error
// writer. The envelope middleware (envelope.Writer.Handler) calls it
// for every request, so that each apikit middleware answers in the API's
// dialect without being told. A nil ew leaves ctx as it is.
func ContextWithWriter(ctx context.Context, ew ErrorWriter) context.Context {
	if ew == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxkey.ErrorWriter{}, ew)
}

// writerFromContext returns the error writer that [ContextWithWriter] put in
// ctx, or the zero [Writer] (plain RFC 9457) when there is none.
func writerFromContext(ctx context.Context) ErrorWriter {
	if ew, ok := ctx.Value(ctxkey.ErrorWriter{}).(ErrorWriter); ok {
		return ew
	}
	return Writer{}
}

// WriteTo writes err for r with explicit when it is not nil, else with the
// error writer in r's context, else as plain RFC 9457. It is how every
// apikit middleware answers with an error: an explicit option wins over the
// API's writer, which wins over the default.
func WriteTo(explicit ErrorWriter, w http.ResponseWriter, r *http.Request, err error) {
	if explicit == nil {
		explicit = writerFromContext(r.Context())
	}
	explicit.WriteError(w, r, err)
}
