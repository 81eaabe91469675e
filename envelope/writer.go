package envelope

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// contentType is the media type of every success body apikit writes.
const contentType = "application/json"

// Writer writes every response of one API in one [Dialect]. Configure it
// once with [New], wrap the API's handler with [Writer.Handler], and share
// it: it is safe for concurrent use and holds no global state, so several
// writers (several APIs) can live in one process.
//
// *Writer implements [problem.ErrorWriter]; its Handler puts it in every
// request's context, so apikit's middleware (idempotency, ratelimit,
// signature, version) and [problem.Write] answer in the same dialect
// without being told.
type Writer struct {
	dialect Dialect
	style   pagination.Style // the list style the dialect renders
	anyList bool             // the dialect renders no cursor: any style pages
	now     func() time.Time
	newID   func(time.Time) string
	// defaultID: newID is NewReqID, which Handler inlines.
	defaultID bool
	log       *slog.Logger
	catalog   *problem.Catalog
	pool      bufferPool
	types     typeCache
	vers      versionConfig // version.go
}

// Option configures a [Writer] ([New]) or [Decode]; each option says which
// it applies to and the other ignores it.
type Option func(*options)

type options struct {
	now     func() time.Time
	newID   func(time.Time) string
	log     *slog.Logger
	catalog *problem.Catalog
	maxBody int64
	vers    versionConfig
}

// WithClock sets the clock that timestamps responses and request IDs.
// Inject a fixed clock for golden tests. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithRequestIDs sets the generator of request IDs, called with the
// writer's clock reading when a request arrives without an acceptable
// X-Request-Id. apikit provides [NewReqID] (the req_<unix-ms>_<random>
// form) and [NewULID]. Default: NewReqID.
func WithRequestIDs(gen func(now time.Time) string) Option {
	return func(o *options) {
		if gen != nil {
			o.newID = gen
		}
	}
}

// WithLogger sets the logger that receives 5xx errors, encoding failures
// and recovered panics. Default: slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithCatalog sets the problem catalog: it turns errors into problems
// ([problem.Catalog.From]) and resolves relative problem types
// ("validation-error") against its base URI ([problem.Catalog.ResolveType]).
// Default: none; errors are mapped with [problem.From] and relative types
// are rendered as "about:blank".
func WithCatalog(c *problem.Catalog) Option {
	return func(o *options) { o.catalog = c }
}

// New returns a Writer that speaks dialect d. A nil d means [Plain].
func New(d Dialect, opts ...Option) *Writer {
	if d == nil {
		d = Plain()
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	defaultID := o.newID == nil
	if defaultID {
		o.newID = NewReqID
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	w := &Writer{dialect: d, now: o.now, newID: o.newID, defaultID: defaultID, log: o.log, catalog: o.catalog, vers: o.vers}
	w.style, w.anyList = d.ListStyle()
	w.anyList = !w.anyList
	return w
}

// A ReplyOption adjusts one success response: [WithMessage], [WithPage].
type ReplyOption interface{ applyReply(*Reply) }

type replyOption func(*Reply)

func (f replyOption) applyReply(r *Reply) { f(r) }

// WithMessage sets the human-readable message of one response, for
// dialects that have one (the standard dialect's "message"). Default:
// "Success".
func WithMessage(msg string) ReplyOption {
	return replyOption(func(r *Reply) { r.Message = msg })
}

// WithPage attaches page to one response whose data is not a slice of
// items (for example an object that holds a list): the standard and meta
// dialects render it as their pagination object. Lists written with [List]
// need no WithPage; the records style needs [List]. A page of another list
// style than the dialect's is refused with a logged 500. Default: no page.
func WithPage(page pagination.Page) ReplyOption {
	return replyOption(func(r *Reply) {
		p := page
		r.Page = &p
	})
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

// List writes items as one page of a list with status 200. Items are
// always encoded as a JSON array ([] when there are none); page is
// rendered in the dialect's list style (the standard "pagination" object,
// the records style, …). A page built in the other style
// ([pagination.Page.Style]) would page wrongly: it is refused with the
// dialect's 500 and an error log line naming both styles.
func List[T any](wr *Writer, w http.ResponseWriter, r *http.Request, items []T, page pagination.Page, opts ...ReplyOption) {
	if items == nil {
		items = []T{}
	}
	st := wr.state()
	if n := len(items); n > 0 {
		if per := wr.pool.perItem.Load(); per > 0 {
			wr.pool.lend(st, int(per)*n+1024)
		}
		st.items = n
	}
	st.reply = Reply{Page: &page, records: pagination.RecordsOf(items, page)}
	wr.send(w, r, st, http.StatusOK, items, opts)
}

// Write writes data with the given success status (2xx or 3xx) in the
// writer's dialect: it is what [Writer.OK], [Writer.Created] and [List]
// call. Statuses 204 and 304, and HEAD requests, get no body; a 202 is the
// ack dialect's RECEIVED. The whole body is encoded before anything is
// sent, so an encoding failure becomes the dialect's 500 (logged), never a
// broken 200.
func (wr *Writer) Write(w http.ResponseWriter, r *http.Request, status int, data any, opts ...ReplyOption) {
	st := wr.state() // its reply is zero: put clears it
	wr.send(w, r, st, status, data, opts)
}

// state returns a pooled state for one response.
func (wr *Writer) state() *state {
	st := wr.pool.get()
	st.wr = wr
	return st
}

// errStyle reports a page whose list style is not the dialect's.
type errStyle struct{ page, dialect pagination.Style }

func (e errStyle) Error() string {
	return fmt.Sprintf("envelope: a %s page cannot be written in a dialect that renders %s lists: its cursors would not page (build the paginator with pagination.WithStyle(%s))", e.page, e.dialect, e.dialect)
}

func (wr *Writer) send(w http.ResponseWriter, r *http.Request, st *state, status int, data any, opts []ReplyOption) {
	rep := &st.reply
	rep.Status, rep.Data, rep.Request, rep.st = status, data, r, st
	for _, o := range opts {
		o.applyReply(rep)
	}
	rep.RequestID, rep.Echo, rep.Time = wr.identify(w, r)
	if !bodyAllowed(status) {
		if h := w.Header(); h.Get(headerRequestID) == "" {
			h.Set(headerRequestID, rep.RequestID)
		}
		wr.pool.put(st, nil)
		w.WriteHeader(status)
		return
	}
	var body []byte
	var err error
	if rep.Page != nil && !wr.anyList && rep.Page.Style != wr.style {
		err = errStyle{rep.Page.Style, wr.style}
	} else {
		body, err = wr.dialect.AppendSuccess(st.buf[:0], rep)
	}
	if err != nil {
		wr.pool.put(st, body)
		wr.log.LogAttrs(requestContext(r), slog.LevelError, "envelope: encoding the response failed",
			slog.Int("status", status), slog.String("request_id", rep.RequestID),
			slog.String("method", method(r)), slog.String("path", path(r)), slog.String("error", err.Error()))
		wr.WriteError(w, r, problem.From(fmt.Errorf("envelope: encoding the response: %w", err)))
		return
	}
	if st.items > 0 {
		wr.pool.perItem.Store(int64(len(body)/st.items) + 1)
	}
	wr.emit(w, r, status, nil, rep.RequestID, body)
	wr.pool.put(st, body)
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
	if v := w.Header()[headerRequestID]; len(v) > 0 && validRequestID(v[0]) { // canonical key: no Get
		return v[0], "", now
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
