package problem

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
)

// ErrorWriter writes err as the response to r. Middleware that must answer
// with an error (idempotency, ratelimit, signature) takes one, so the
// service's own writer (an *envelope.Writer) decides the wire format; they
// default to [Writer], plain RFC 9457.
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
// logs 5xx causes with [slog.Default].
type Writer struct {
	// Catalog, if set, maps errors (its sentinels) and resolves relative
	// types against its base URI.
	Catalog *Catalog
	// Logger receives one record per 5xx problem, with its cause: at
	// level Error for a 500, Warn for the other 5xx (a store or upstream
	// that is down). Nil means slog.Default().
	Logger *slog.Logger
}

// Write writes err with the zero [Writer].
func Write(w http.ResponseWriter, r *http.Request, err error) {
	Writer{}.WriteError(w, r, err)
}

// WriteError implements [ErrorWriter]. The status line is the problem's
// status; Retry-After is set when the problem carries one; the body is
// left out for HEAD requests. Should an extension member fail to encode,
// the problem is written without its extensions rather than not at all.
func (pw Writer) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if cc := ClientClosed(r, err); cc != nil {
		err = cc
	}
	var p *Problem
	base := ""
	if pw.Catalog != nil {
		p = pw.Catalog.From(err)
		base = pw.Catalog.Base()
	} else {
		p = From(err)
	}
	if p == nil {
		p = InternalError.New(DetailInternal)
	}
	status := p.StatusCode()
	body, encErr := p.AppendJSON(make([]byte, 0, 256), base)
	if encErr != nil {
		stripped := *p
		stripped.Extensions = nil
		body, _ = stripped.AppendJSON(body[:0], base)
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
	WriteBody(w, r, p, ContentType, body)
}

// ClientClosed returns a [ClientClosedRequest] problem wrapping err when
// err is the failure of a request that its own client cancelled, else nil:
// r's context is canceled (net/http cancels it when the connection closes
// or is half-closed) and err is or wraps [context.Canceled], such as the
// error of a store call made with r's context, even inside a 5xx problem.
// [Writer] and envelope.Writer answer such a request with it (499) rather
// than as a server failure, so it is never logged as one.
func ClientClosed(r *http.Request, err error) *Problem {
	if r == nil || !errors.Is(r.Context().Err(), context.Canceled) || !errors.Is(err, context.Canceled) {
		return nil
	}
	return ClientClosedRequest.Wrap(err, "The client closed the request before it was answered")
}

// WriteBody writes an error response: Content-Type, Content-Length,
// X-Content-Type-Options, Retry-After when p carries one, the status, then
// body unless the request is HEAD. Writers of other dialects use it so
// every dialect sets the same headers.
func WriteBody(w http.ResponseWriter, r *http.Request, p *Problem, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if s := p.RetryAfterSeconds(); s > 0 {
		h.Set("Retry-After", strconv.FormatInt(s, 10))
	}
	w.WriteHeader(p.StatusCode())
	if r != nil && r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}
