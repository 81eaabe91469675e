package envelope

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
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

// tableLengths bounds the body lengths whose Content-Length value comes
// from the shared table.
const tableLengths = 4096

// headerTable holds one-element header value slices shared by every
// response: the Content-Length of bodies under tableLengths bytes and the
// fixed values. It is built once and never changed; each slice has
// len == cap == 1, so Header().Add copies instead of writing into it, and
// net/http never changes a header value in place.
type headerTable struct {
	length                     [tableLengths][1]string
	json, problemJSON, nosniff [1]string
}

var sharedHeaders = sync.OnceValue(func() *headerTable {
	t := &headerTable{}
	digits := make([]byte, 0, tableLengths*4)
	for n := range tableLengths {
		start := len(digits)
		digits = strconv.AppendInt(digits, int64(n), 10)
		t.length[n][0] = unsafe.String(&digits[start], len(digits)-start)
	}
	t.json[0], t.problemJSON[0], t.nosniff[0] = contentType, problem.ContentType, "nosniff"
	return t
})

// lengthValue holds the Content-Length of a longer body: the digits and
// the string over them in one allocation.
type lengthValue struct {
	val    [1]string
	digits [20]byte
}

// emit sets the headers, the status and, unless the request is HEAD, the
// body. p is the problem of an error response, nil for a success. Behind
// [Writer.Handler] (X-Request-Id already set) and for bodies under 4 KiB
// it allocates nothing.
func (wr *Writer) emit(w http.ResponseWriter, r *http.Request, status int, p *problem.Problem, requestID string, body []byte) {
	h := w.Header()
	t := sharedHeaders()
	if n := len(body); n < tableLengths {
		h["Content-Length"] = t.length[n][:]
	} else {
		lv := new(lengthValue)
		digits := strconv.AppendInt(lv.digits[:0], int64(n), 10)
		lv.val[0] = unsafe.String(&digits[0], len(digits))
		h["Content-Length"] = lv.val[:]
	}
	if _, ok := h[headerRequestID]; !ok {
		h[headerRequestID] = []string{requestID}
	}
	if p == nil {
		h["Content-Type"] = t.json[:]
	} else {
		switch ct := wr.dialect.ErrorContentType(); ct {
		case contentType:
			h["Content-Type"] = t.json[:]
		case problem.ContentType:
			h["Content-Type"] = t.problemJSON[:]
		default:
			h["Content-Type"] = []string{ct}
		}
		h["X-Content-Type-Options"] = t.nosniff[:]
		problem.SetHeaders(h, p)
	}
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
