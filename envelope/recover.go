package envelope

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"

	"github.com/apikit-go/apikit/problem"
)

// Recover is middleware that turns a panic in next into the dialect's 500
// (with the request ID, never the panic's text) and logs the panic value
// and the stack. A panic with [http.ErrAbortHandler] is passed on, as
// net/http expects. When the handler had already started the response,
// nothing can be rewritten: the panic is logged and the connection aborted
// with http.ErrAbortHandler, so the client sees a broken response rather
// than a truncated one that looks complete.
//
// Put it inside [Writer.RequestID] so the 500 carries the request's ID.
func (wr *Writer) Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			id, _ := RequestIDFrom(r.Context())
			wr.log.LogAttrs(r.Context(), slog.LevelError, "envelope: panic serving request",
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if tw.wrote {
				panic(http.ErrAbortHandler)
			}
			err := fmt.Errorf("envelope: panic: %v", v)
			wr.WriteError(w, r, problem.InternalError.Wrap(err, problem.DetailInternal))
		}()
		next.ServeHTTP(tw, r)
	})
}

// trackingWriter records whether the response has started.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(status int) {
	if status >= 200 || status == http.StatusSwitchingProtocols {
		t.wrote = true
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the underlying writer does.
func (t *trackingWriter) Flush() {
	t.wrote = true
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker when the underlying writer does.
func (t *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	t.wrote = true
	return http.NewResponseController(t.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
