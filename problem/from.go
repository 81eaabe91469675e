package problem

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// Generic details of the problems [From] makes; they never include the
// cause's text.
const (
	detailInternal = "An unexpected error occurred while processing your request"
	detailTimeout  = "The request took too long to process"
)

// From turns any Go error into a problem:
//
//   - a *Problem in the chain (errors.As) is returned as it is;
//   - a [Definition] in the chain becomes an occurrence of it;
//   - [context.DeadlineExceeded] becomes a 504 [Timeout];
//   - an [*http.MaxBytesError] becomes a 413 [RequestTooLarge];
//   - anything else becomes a 500 [InternalError] with a generic detail.
//
// The returned problem wraps err, so errors.Is and errors.As still see it,
// but 5xx problems made here never show its text. From(nil) is nil.
// [Catalog.From] also consults a catalog's sentinel mappings; writers use
// it.
func From(err error) *Problem {
	if err == nil {
		return nil
	}
	if p, ok := asProblem(err); ok {
		return p
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return RequestTooLarge.Wrap(err, "The request body exceeds the limit of "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout.Wrap(err, detailTimeout)
	}
	return InternalError.Wrap(err, detailInternal)
}

// asProblem finds a *Problem or a Definition in err's chain.
func asProblem(err error) (*Problem, bool) {
	var p *Problem
	if errors.As(err, &p) && p != nil {
		return p, true
	}
	var d Definition
	if errors.As(err, &d) && !d.IsZero() {
		if _, direct := err.(Definition); direct {
			return d.New(""), true
		}
		return d.Wrap(err, ""), true
	}
	return nil, false
}
