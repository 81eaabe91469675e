package envelope

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/apikit-go/apikit/problem"
)

// Problem turns err into a problem as the writer's [WriteError] does: with
// the catalog's sentinel mappings when the writer has a catalog, else with
// [problem.From]. A nil err gives nil.
func (wr *Writer) Problem(err error) *problem.Problem {
	if err == nil {
		return nil
	}
	if p, ok := err.(*problem.Problem); ok && p != nil { // the common case, without errors.As
		return p
	}
	if wr.catalog != nil {
		return wr.catalog.From(err)
	}
	return problem.From(err)
}

// WriteError writes err as an error response in the writer's dialect; it
// implements [problem.ErrorWriter]. Any Go error is accepted: problems and
// definitions keep their status and code, anything else becomes a 500
// whose body never shows the error's text. 5xx errors are logged with
// their cause. A request its own client cancelled is answered 499
// ([problem.ClientClosed]) and not logged. Retry-After is set when the
// problem carries one.
func (wr *Writer) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if cc := problem.ClientClosed(r, err); cc != nil {
		err = cc // 499, not logged: not a server failure
	}
	p := wr.Problem(err)
	if p == nil {
		p = problem.InternalError.New(problem.DetailInternal)
	}
	st := wr.pool.Get().(*state)
	st.reply = Reply{}
	rep := &st.reply
	rep.Status, rep.Problem, rep.BaseURI, rep.Request, rep.st = p.StatusCode(), p, wr.base, r, st
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
	wr.emit(w, r, rep.Status, wr.dialect.ErrorContentType(), rep.RequestID, p.RetryAfterSeconds(), body)
	wr.release(st, body)
}

func requestContext(r *http.Request) context.Context {
	if r == nil {
		return context.Background()
	}
	return r.Context()
}
