package pagination

import (
	"github.com/apikit-go/apikit/problem"
)

// The problems [Paginator.Parse] returns, each a 400 that names the
// offending query parameter: in the extension member "parameter" and as a
// field error (code "INVALID_FORMAT", or "NOT_FOUND" for
// [ErrUnknownCursor]). They are sentinels for errors.Is:
//
//	if errors.Is(err, pagination.ErrExpiredCursor) { … }
var (
	// ErrInvalidLimit reports a limit that is not a plain decimal number
	// ("abc", "1.5", "+5", " 5", "").
	ErrInvalidLimit = problem.MustDefine("pagination/invalid-limit", 400, "Invalid limit")
	// ErrLimitOutOfRange reports a limit below 1 or, unless limits are
	// clamped, above the maximum.
	ErrLimitOutOfRange = problem.MustDefine("pagination/limit-out-of-range", 400, "Limit out of range")
	// ErrInvalidOffset reports an offset that is not a plain decimal number
	// or is above the maximum offset.
	ErrInvalidOffset = problem.MustDefine("pagination/invalid-offset", 400, "Invalid offset")
	// ErrOffsetNotAllowed reports an offset sent to a list that pages by
	// cursor only.
	ErrOffsetNotAllowed = problem.MustDefine("pagination/offset-not-allowed", 400, "Offset not allowed")
	// ErrDuplicateParameter reports a paging parameter given more than once.
	ErrDuplicateParameter = problem.MustDefine("pagination/duplicate-parameter", 400, "Duplicate parameter")
	// ErrConflictingCursors reports starting_after given with ending_before.
	ErrConflictingCursors = problem.MustDefine("pagination/conflicting-cursors", 400, "Conflicting cursors")
	// ErrCursorWithOffset reports a cursor given with an offset.
	ErrCursorWithOffset = problem.MustDefine("pagination/cursor-with-offset", 400, "Cursor with offset")
	// ErrMalformedCursor reports a cursor (or object ID) that is empty, too
	// long, not URL-safe base64 or not in the cursor format.
	ErrMalformedCursor = problem.MustDefine("pagination/malformed-cursor", 400, "Malformed cursor")
	// ErrUnknownCursor reports a well-formed object ID in starting_after or
	// ending_before that names no object of the list (in the caller's
	// scope); its field error has the code "NOT_FOUND". The service, which
	// looks the ID up, answers it with [Params.UnknownID].
	ErrUnknownCursor = problem.MustDefine("pagination/unknown-cursor", 400, "Unknown cursor")
	// ErrTamperedCursor reports a cursor whose signature does not match its
	// content.
	ErrTamperedCursor = problem.MustDefine("pagination/tampered-cursor", 400, "Invalid cursor signature")
	// ErrExpiredCursor reports a cursor past its expiry, or signed with a key
	// that has been retired: the list must be started again.
	ErrExpiredCursor = problem.MustDefine("pagination/expired-cursor", 400, "Expired cursor")
	// ErrForeignCursor reports a cursor made for another route or another
	// caller scope (tenant).
	ErrForeignCursor = problem.MustDefine("pagination/foreign-cursor", 400, "Cursor not valid here")
	// ErrCursorMismatch reports a cursor made for other filter or sort
	// parameters than the request's.
	ErrCursorMismatch = problem.MustDefine("pagination/cursor-mismatch", 400, "Cursor does not match the query")
	// ErrInvalidParameter reports another paging parameter with a bad value,
	// such as a total flag that is not a boolean.
	ErrInvalidParameter = problem.MustDefine("pagination/invalid-parameter", 400, "Invalid parameter")
)

// parameterExtension is the problem extension member that names the
// offending query parameter.
const parameterExtension = "parameter"

// fieldNotFound is the field code of [ErrUnknownCursor].
const fieldNotFound = "NOT_FOUND"

// paramProblem makes a 400 naming the parameter.
func paramProblem(def problem.Definition, param, detail string) *problem.Problem {
	p := def.New(detail).WithExtension(parameterExtension, param)
	p.Fields = []problem.FieldError{{Field: param, Message: detail, Code: problem.FieldInvalidFormat}}
	return p
}
