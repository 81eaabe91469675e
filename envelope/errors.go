package envelope

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"unsafe"

	"github.com/apikit-go/apikit/problem"
)

// WriteError writes err as an error response in the writer's dialect; it
// implements [problem.ErrorWriter]. Errors are mapped by the writer's
// catalog ([problem.Catalog.From], which is [problem.From] without a
// catalog): problems and definitions keep their status and code, anything
// else becomes a 500 whose body never shows the error's text. 5xx errors
// are logged with their cause. Retry-After and the problem's own headers
// (WWW-Authenticate, Allow, …) are set.
func (wr *Writer) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := err.(*problem.Problem) // the common case, without errors.As
	if !ok || p == nil {
		p = wr.catalog.From(err)
	}
	if p == nil {
		p = problem.From(errNilError)
	}
	st := wr.state()
	rep := &st.reply
	rep.Status, rep.Problem, rep.Request, rep.st = p.StatusCode(), p, r, st
	rep.RequestID, rep.Echo, rep.Time = wr.identify(w, r)
	body, encErr := wr.dialect.AppendError(st.buf[:0], rep)
	if encErr != nil {
		stripped := *p
		stripped.Extensions = nil
		rep.Problem = &stripped
		if body, err = wr.dialect.AppendError(body[:0], rep); err != nil {
			body = append(body[:0], `{"title":"Internal Server Error","status":500}`...)
			rep.Status = http.StatusInternalServerError
		}
	}
	if rep.Status >= 500 || encErr != nil {
		attrs := []slog.Attr{
			slog.Int("status", rep.Status), slog.String("code", p.Code),
			slog.String("request_id", rep.RequestID),
			slog.String("method", method(r)), slog.String("path", path(r)),
		}
		if c := p.Unwrap(); c != nil {
			attrs = append(attrs, slog.String("cause", c.Error()))
		}
		if encErr != nil {
			attrs = append(attrs, slog.String("encode_error", encErr.Error()))
		}
		wr.log.LogAttrs(requestContext(r), slog.LevelError, "envelope: request failed", attrs...)
	}
	wr.emit(w, r, rep.Status, p, rep.RequestID, body)
	wr.pool.put(st, body)
}

type nilError struct{}

func (nilError) Error() string { return "envelope: WriteError called with a nil error" }

var errNilError error = nilError{}

// headerValues holds the header values of one response in one
// allocation: Content-Length (formatted into digits, no separate string),
// the request ID, the content type and nosniff. No value slice is shared
// between responses.
type headerValues struct {
	vals   [4]string
	digits [20]byte
}

// emit sets the headers, the status and, unless the request is HEAD, the
// body. p is the problem of an error response, nil for a success.
func (wr *Writer) emit(w http.ResponseWriter, r *http.Request, status int, p *problem.Problem, requestID string, body []byte) {
	h := w.Header()
	hv := new(headerValues)
	digits := strconv.AppendInt(hv.digits[:0], int64(len(body)), 10)
	hv.vals[0] = unsafe.String(&digits[0], len(digits))
	h["Content-Length"] = hv.vals[0:1:1]
	if _, ok := h[headerRequestID]; !ok {
		hv.vals[1] = requestID
		h[headerRequestID] = hv.vals[1:2:2]
	}
	hv.vals[2] = contentType
	if p != nil {
		hv.vals[2] = wr.dialect.ErrorContentType()
		hv.vals[3] = "nosniff"
		h["X-Content-Type-Options"] = hv.vals[3:4:4]
		problem.SetHeaders(h, p)
	}
	h["Content-Type"] = hv.vals[2:3:3]
	w.WriteHeader(status)
	if r != nil && r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func requestContext(r *http.Request) context.Context {
	if r == nil {
		return context.Background()
	}
	return r.Context()
}
