package envelope

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// maxPooledBuffer is the largest body buffer kept for reuse; bigger ones
// are left to the garbage collector.
const maxPooledBuffer = 64 << 10

// Writer writes every response of one API in one [Dialect]. Configure it
// once with [New] and share it: it is safe for concurrent use and holds no
// global state, so several writers (several APIs) can live in one process.
//
// *Writer implements [problem.ErrorWriter], so apikit's middleware
// (idempotency, ratelimit, signature) answers in the same dialect.
type Writer struct {
	dialect Dialect
	now     func() time.Time
	newID   func(time.Time) string
	log     *slog.Logger
	catalog *problem.Catalog
	base    string
	pool    sync.Pool
	types   typeCache
	vers    versionConfig // version.go
}

// Option configures a [Writer].
type Option func(*Writer)

// WithClock sets the clock that timestamps responses and request IDs
// (default time.Now). Inject a fixed clock for golden tests.
func WithClock(now func() time.Time) Option {
	return func(w *Writer) {
		if now != nil {
			w.now = now
		}
	}
}

// WithRequestIDs sets the generator of request IDs, called with the
// writer's clock reading when a request arrives without an acceptable
// X-Request-Id. apikit provides [NewReqID] (the default, the
// req_<unix-ms>_<random> form) and [NewULID].
func WithRequestIDs(gen func(now time.Time) string) Option {
	return func(w *Writer) {
		if gen != nil {
			w.newID = gen
		}
	}
}

// WithLogger sets the logger that receives 5xx errors, encoding failures
// and recovered panics (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(w *Writer) {
		if l != nil {
			w.log = l
		}
	}
}

// WithCatalog sets the problem catalog: its sentinel mappings turn errors
// into problems ([problem.Catalog.From]) and its base URI is what relative
// problem types ("validation-error") resolve against. Without a catalog,
// errors are mapped with [problem.From] and relative types are rendered as
// "about:blank".
func WithCatalog(c *problem.Catalog) Option {
	return func(w *Writer) { w.catalog = c }
}

// New returns a Writer that speaks dialect d. A nil d means [Plain].
func New(d Dialect, opts ...Option) *Writer {
	if d == nil {
		d = Plain()
	}
	w := &Writer{dialect: d, now: time.Now, newID: NewReqID}
	for _, o := range opts {
		o(w)
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.catalog != nil {
		w.base = w.catalog.Base()
	}
	w.pool.New = func() any { return newState(w) }
	return w
}

// Dialect returns the writer's dialect.
func (wr *Writer) Dialect() Dialect { return wr.dialect }

// A ReplyOption adjusts one success response.
type ReplyOption interface{ applyReply(*Reply) }

// Message is the human-readable message of one response, for dialects
// that have one (the standard dialect's "message", default "Success").
type Message string

func (m Message) applyReply(r *Reply) { r.Message = string(m) }

// WithPage attaches page to one response whose data is not a slice of
// items (for example an object that holds a list): the standard and meta
// dialects render it as their pagination object. Lists written with [List]
// need no WithPage; the records style needs [List].
func WithPage(page pagination.Page) ReplyOption { return pageOption{page} }

type pageOption struct{ page pagination.Page }

func (o pageOption) applyReply(r *Reply) {
	p := o.page
	r.Page = &p
}

// OK writes data with status 200.
func (wr *Writer) OK(w http.ResponseWriter, r *http.Request, data any, opts ...ReplyOption) {
	wr.Write(w, r, http.StatusOK, data, opts...)
}

// Created writes data with status 201 and, when location is not empty, a
// Location header naming the new resource.
func (wr *Writer) Created(w http.ResponseWriter, r *http.Request, location string, data any, opts ...ReplyOption) {
	if location != "" {
		w.Header().Set("Location", location)
	}
	wr.Write(w, r, http.StatusCreated, data, opts...)
}

// Accepted writes data with status 202: the request was received and will
// be processed later (the ack dialect's RECEIVED).
func (wr *Writer) Accepted(w http.ResponseWriter, r *http.Request, data any, opts ...ReplyOption) {
	wr.Write(w, r, http.StatusAccepted, data, opts...)
}

// NoContent writes status 204 with no body.
func (wr *Writer) NoContent(w http.ResponseWriter, r *http.Request) {
	wr.Write(w, r, http.StatusNoContent, nil)
}

// List writes items as one page of a list with status 200. Items are
// always encoded as a JSON array ([] when there are none); page is
// rendered in the dialect's list style (the standard "pagination" object,
// the records style, …).
func List[T any](wr *Writer, w http.ResponseWriter, r *http.Request, items []T, page pagination.Page, opts ...ReplyOption) {
	if items == nil {
		items = []T{}
	}
	st := wr.pool.Get().(*state)
	st.reply = Reply{Page: &page, records: pagination.RecordsOf(items, page)}
	wr.send(w, r, st, http.StatusOK, items, opts)
}

// Write writes data with the given success status (2xx or 3xx) in the
// writer's dialect. Statuses 204 and 304, and HEAD requests, get no body.
// The whole body is encoded before anything is sent, so an encoding
// failure becomes the dialect's 500 (logged), never a broken 200.
func (wr *Writer) Write(w http.ResponseWriter, r *http.Request, status int, data any, opts ...ReplyOption) {
	st := wr.pool.Get().(*state)
	st.reply = Reply{}
	wr.send(w, r, st, status, data, opts)
}

func (wr *Writer) send(w http.ResponseWriter, r *http.Request, st *state, status int, data any, opts []ReplyOption) {
	rep := &st.reply
	rep.Status, rep.Data, rep.Request, rep.st = status, data, r, st
	for _, o := range opts {
		o.applyReply(rep)
	}
	rep.RequestID, rep.Echo, rep.Time = wr.identify(w, r)
	if !bodyAllowed(status) {
		if h := w.Header(); h.Get(HeaderRequestID) == "" {
			h.Set(HeaderRequestID, rep.RequestID)
		}
		wr.release(st, nil)
		w.WriteHeader(status)
		return
	}
	body, err := wr.dialect.AppendSuccess(st.buf[:0], rep)
	if err != nil {
		wr.release(st, body)
		wr.log.LogAttrs(requestContext(r), slog.LevelError, "envelope: encoding the response failed",
			slog.Int("status", status), slog.String("request_id", rep.RequestID),
			slog.String("method", method(r)), slog.String("path", path(r)), slog.String("error", err.Error()))
		wr.WriteError(w, r, problem.InternalError.Wrap(err, problem.DetailInternal))
		return
	}
	wr.emit(w, r, status, ContentType, rep.RequestID, 0, body)
	wr.release(st, body)
}

// release clears st and returns it to the pool.
func (wr *Writer) release(st *state, body []byte) {
	if body != nil {
		st.buf = body[:0]
	}
	st.reply = Reply{}
	if cap(st.buf) > maxPooledBuffer {
		return
	}
	wr.pool.Put(st)
}

// emit sets the headers, the status and, unless the request is HEAD, the
// body. All header values share one allocation.
func (wr *Writer) emit(w http.ResponseWriter, r *http.Request, status int, contentType, requestID string, retryAfter int64, body []byte) {
	h := w.Header()
	vals := make([]string, 5)
	vals[0], vals[1], vals[2] = contentType, strconv.Itoa(len(body)), requestID
	h["Content-Type"] = vals[0:1:1]
	h["Content-Length"] = vals[1:2:2]
	if _, ok := h[HeaderRequestID]; !ok {
		h[HeaderRequestID] = vals[2:3:3]
	}
	if status >= 400 {
		vals[3] = "nosniff"
		h["X-Content-Type-Options"] = vals[3:4:4]
	}
	if retryAfter > 0 {
		vals[4] = strconv.FormatInt(retryAfter, 10)
		h["Retry-After"] = vals[4:5:5]
	}
	w.WriteHeader(status)
	if r != nil && r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// bodyAllowed reports whether a response with status may carry a body.
func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// identify returns the request ID (from the context, or a new one), the
// request ID echoed from the request body, and the time of the response.
func (wr *Writer) identify(w http.ResponseWriter, r *http.Request) (id, echo string, now time.Time) {
	now = wr.now()
	if r != nil {
		if info := infoFrom(r.Context()); info != nil {
			return info.id, info.echo, now
		}
	}
	if id = w.Header().Get(HeaderRequestID); id != "" && ValidRequestID(id) {
		return id, "", now
	}
	return wr.newID(now), "", now
}

func method(r *http.Request) string {
	if r == nil {
		return ""
	}
	return r.Method
}

func path(r *http.Request) string {
	if r == nil || r.URL == nil {
		return ""
	}
	return r.URL.Path
}
