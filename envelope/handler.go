package envelope

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/apikit-go/apikit/internal/ctxkey"
	"github.com/apikit-go/apikit/problem"
)

// Handler is the API's middleware; wrap the whole API with it once:
//
//	http.ListenAndServe(":8080", wr.Handler(mux))
//
// For every request it
//
//   - gives the request its ID: the inbound X-Request-Id when it is 1 to
//     128 bytes of A–Z, a–z, 0–9, '.', '_', ':' and '-', else a new one
//     from the writer's generator; the ID is set on the response's
//     X-Request-Id before next runs, is in the request context
//     ([RequestIDFrom]) and is used by every response the writer makes;
//   - puts the writer in the request context ([problem.ContextWithWriter]),
//     so every apikit middleware and [problem.Write] answer errors in this
//     dialect without being told;
//   - turns a panic in next into the dialect's 500 (with the request ID,
//     never the panic's text) and logs the panic value and the stack. A
//     panic with [http.ErrAbortHandler] is passed on, as net/http expects;
//     when the response had already started nothing can be rewritten, so
//     the connection is aborted with http.ErrAbortHandler;
//   - when next is an *http.ServeMux, answers the mux's own 404 (no route)
//     and 405 (wrong method, with Allow) in the dialect, as [Writer.Routes]
//     does.
//
// Handlers nest: an API that serves several dialects wraps everything in
// one writer's Handler and each group of routes in its own writer's
// Handler; the inner one keeps the request's ID and puts its writer in the
// context.
func (wr *Writer) Handler(next http.Handler) http.Handler {
	mux, _ := next.(*http.ServeMux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var rw *responseWriter
		if info := infoFrom(ctx); info == nil {
			// The context, the response writer, the ID and the header's
			// value share one allocation.
			st := &handlerState{rw: responseWriter{ResponseWriter: w, wr: wr}}
			rw = &st.rw
			var id string
			if v := r.Header[headerRequestID]; len(v) > 0 { // what Get does, without canonicalising a canonical name
				id = v[0]
			}
			if !validRequestID(id) {
				if wr.defaultID {
					id = st.newReqID(wr.now())
				} else {
					id = wr.newID(wr.now())
				}
			}
			st.idv[0] = id
			w.Header()[headerRequestID] = st.idv[:] // canonical already
			wr.initContext(&st.ctx, ctx, id)
			r = r.WithContext(&st.ctx)
		} else {
			if cur, _ := ctx.Value(ctxkey.ErrorWriter{}).(*Writer); cur != wr {
				// An outer Handler gave the request its ID: keep its
				// information (shared, so Decode's echo reaches both), put
				// this writer in front.
				r = r.WithContext(&reqContext{Context: ctx, wr: wr, info: info})
			} // else: nested in a Handler of this writer, the context has all it needs: no copy of r
			rw = &responseWriter{ResponseWriter: w, wr: wr}
		}
		if mux != nil {
			rw.routed = r
		}
		defer wr.recover(rw, r)
		next.ServeHTTP(rw, r)
	})
}

func (wr *Writer) recover(rw *responseWriter, r *http.Request) {
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
	if rw.wrote {
		panic(http.ErrAbortHandler)
	}
	wr.WriteError(rw.ResponseWriter, r, problem.From(fmt.Errorf("envelope: panic: %v", v)))
}

// Routes returns mux with its own answers rewritten in the writer's
// dialect: a path no pattern matches gets a 404 problem
// ([problem.ResourceNotFound]) and a known path with the wrong method a 405
// ([problem.MethodNotAllowed]) with the Allow header the mux computed,
// instead of ServeMux's text/plain. Handlers' own 404s are untouched.
// [Writer.Handler] does this by itself when it wraps the mux directly; use
// Routes when other middleware sits between them.
func (wr *Writer) Routes(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t, ok := w.(*responseWriter); ok && t.wr == wr && t.routed == nil && !t.wrote {
			// Straight inside this writer's Handler (the middleware between
			// them passed its writer on): route through that writer rather
			// than wrapping it again, and leave it as it was.
			t.routed = r
			defer func() { t.routed, t.discard = nil, false }()
			mux.ServeHTTP(t, r)
			return
		}
		mux.ServeHTTP(&responseWriter{ResponseWriter: w, wr: wr, routed: r}, r)
	})
}

// handlerState is what [Writer.Handler] allocates for a request that
// arrives without request information: the context, the response writer,
// the X-Request-Id header's value and the bytes of a default request ID.
type handlerState struct {
	ctx   reqContext
	rw    responseWriter
	idv   [1]string
	idBuf [reqIDLen]byte
}

// responseWriter records whether the response has started and, for a
// request served by a ServeMux (routed), rewrites the mux's 404 and 405.
type responseWriter struct {
	http.ResponseWriter
	wr      *Writer
	routed  *http.Request // the request the mux matched, or nil
	wrote   bool
	discard bool // the mux's own text/plain body is dropped
}

func (t *responseWriter) WriteHeader(status int) {
	if t.wrote {
		t.ResponseWriter.WriteHeader(status)
		return
	}
	if r := t.routed; r != nil && r.Pattern == "" && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) &&
		strings.HasPrefix(t.ResponseWriter.Header().Get("Content-Type"), "text/plain") {
		// ServeMux found no pattern and answers with http.Error's
		// text/plain: its own answer, not a handler's. (A mux nested in
		// another clears the same request's Pattern; its answer, already
		// written in a dialect by an inner Routes, is left alone.)
		t.wrote, t.discard = true, true
		h := t.ResponseWriter.Header()
		allow := h.Get("Allow")
		h.Del("Allow")
		var p *problem.Problem
		if status == http.StatusNotFound {
			p = problem.ResourceNotFound.New("No resource exists at this path").WithInstance(r.URL.Path)
		} else {
			p = problem.MethodNotAllowed.New("The method "+r.Method+" is not allowed for this resource; the Allow header lists the methods that are").
				WithInstance(r.URL.Path).WithHeader("Allow", allow)
		}
		t.wr.WriteError(t.ResponseWriter, r, p)
		return
	}
	if status >= 200 || status == http.StatusSwitchingProtocols {
		t.wrote = true
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *responseWriter) Write(b []byte) (int, error) {
	if t.discard {
		return len(b), nil
	}
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the underlying writer does.
func (t *responseWriter) Flush() {
	t.wrote = true
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack implements http.Hijacker when the underlying writer does.
func (t *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	t.wrote = true
	return http.NewResponseController(t.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (t *responseWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// Handle adapts a function that returns a value or an error to an
// http.Handler: the value is written with [Writer.OK] (a nil slice as []),
// the error with [Writer.WriteError]. opts apply to every success.
//
//	mux.Handle("GET /orders/{id}", envelope.Handle(wr, func(r *http.Request) (Order, error) {
//		return store.Order(r.Context(), r.PathValue("id"))
//	}))
func Handle[T any](wr *Writer, fn func(r *http.Request) (T, error), opts ...ReplyOption) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(r)
		if err != nil {
			wr.WriteError(w, r, err)
			return
		}
		wr.OK(w, r, v, opts...)
	})
}
