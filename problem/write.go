package problem

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
)

// ErrorWriter writes err as the response to r: [Writer] (plain RFC 9457)
// and *envelope.Writer (the API's dialect) are the two apikit provides.
// Middleware answers through [WriteTo], which finds the API's writer in the
// request context.
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, r *http.Request, err error)
}

// ErrorWriterFunc adapts a function to [ErrorWriter].
type ErrorWriterFunc func(w http.ResponseWriter, r *http.Request, err error)

// WriteError calls f.
func (f ErrorWriterFunc) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	f(w, r, err)
}

// Writer writes errors as RFC 9457 application/problem+json documents,
// whatever the request's Accept header says. The zero value is ready to use:
// it maps errors with [From], leaves relative types as "about:blank" and
// logs 5xx causes with [slog.Default]. It is the fallback of [Write] and
// [WriteTo] when no writer travels with the request.
type Writer struct {
	// Catalog, if set, maps errors ([Catalog.From]) and resolves relative
	// types ([Catalog.ResolveType]).
	Catalog *Catalog
	// Logger receives one record per 5xx problem, with its cause: at
	// level Error for a 500, Warn for the other 5xx (a store or upstream
	// that is down). Nil means slog.Default().
	Logger *slog.Logger
}

// Write writes err as the answer to r in the API's format: it is
// WriteTo(nil, w, r, err), so it uses the error writer the envelope
// middleware put in r's context and plain RFC 9457 ([Writer]) when there is
// none. Handlers that hold their *envelope.Writer may call its WriteError
// directly; the bytes are the same.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	WriteTo(nil, w, r, err)
}

// WriteError implements [ErrorWriter]. The status line is the problem's
// status; Retry-After and the problem's [Problem.Header] are set; the body
// is left out for HEAD requests. Should an extension member fail to encode,
// the problem is written without its extensions rather than not at all.
func (pw Writer) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := pw.Catalog.From(err)
	if p == nil {
		p = InternalError.New(detailInternal)
	}
	status := p.StatusCode()
	q := *p
	q.Type = pw.Catalog.ResolveType(p.Type)
	body, encErr := q.AppendJSON(make([]byte, 0, 256))
	if encErr != nil {
		q.Extensions = nil
		body, _ = q.AppendJSON(body[:0])
	}
	if status >= 500 || encErr != nil {
		logger := pw.Logger
		if logger == nil {
			logger = slog.Default()
		}
		attrs := []any{slog.Int("status", status), slog.String("code", p.Code)}
		if r != nil {
			attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path))
		}
		if c := p.Unwrap(); c != nil {
			attrs = append(attrs, slog.String("cause", c.Error()))
		}
		if encErr != nil {
			attrs = append(attrs, slog.String("encode_error", encErr.Error()))
		}
		level := slog.LevelError
		if status != http.StatusInternalServerError && encErr == nil {
			level = slog.LevelWarn // 502, 503, 504: expected conditions such as a store being down
		}
		logger.Log(context.Background(), level, "problem: request failed", attrs...)
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	SetHeaders(h, p)
	w.WriteHeader(status)
	if r != nil && r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// SetHeaders sets the response headers p carries on h: Retry-After (from
// [Problem.RetryAfter]), every header of [Problem.Header] except the ones
// a writer owns, and for a 401 without one "WWW-Authenticate: Bearer".
// Every writer calls it; an author of another [ErrorWriter] should too.
func SetHeaders(h http.Header, p *Problem) {
	if s := p.RetryAfterSeconds(); s > 0 {
		h.Set("Retry-After", strconv.FormatInt(s, 10))
	}
	for k, vs := range p.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Type", "Content-Length", "X-Content-Type-Options", "X-Request-Id":
			continue
		}
		// A copy: the values may be shared with the Definition, and the
		// response's header map is the handler's to change.
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if p.StatusCode() == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", "Bearer")
	}
}
