package version

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// A Version is a date version such as 2025-06-01: the day its contract
// took effect. Versions compare by date. The zero Version means "none"
// (no negotiation took place); it is before every other version.
//
// A Version is a small comparable value; its methods never allocate.
type Version struct {
	s string // canonical text, "2025-06-01"
	n int32  // 20250601, for comparison
}

// ErrMalformed reports a string that is not a valid date version.
var ErrMalformed = errors.New("version: malformed date version (want YYYY-MM-DD, a real calendar date)")

// Parse reads a date version: exactly YYYY-MM-DD, digits only, a real
// calendar date (2025-02-29 is rejected, 2024-02-29 accepted). Anything
// else, including surrounding spaces, is an error wrapping [ErrMalformed].
func Parse(s string) (Version, error) {
	n, ok := parseDate(s)
	if !ok {
		return Version{}, &malformedError{value: s}
	}
	return Version{s: s, n: n}, nil
}

type malformedError struct{ value string }

func (e *malformedError) Error() string {
	return "version: malformed date version " + strconv.Quote(clip(e.value)) + " (want YYYY-MM-DD)"
}

func (e *malformedError) Unwrap() error { return ErrMalformed }

// String returns the version as YYYY-MM-DD, or "" for the zero Version.
func (v Version) String() string { return v.s }

// IsZero reports whether v is the zero Version (none negotiated).
func (v Version) IsZero() bool { return v.n == 0 }

// AtLeast reports whether v is the version d or a later one: the test a
// handler makes to serve a behaviour introduced in d.
//
//	if version.FromContext(r.Context()).AtLeast("2025-06-01") { … }
//
// A malformed d is never reached: AtLeast and [Version.Before] both report
// false for it. It does not allocate.
func (v Version) AtLeast(d string) bool {
	n, ok := parseDate(d)
	return ok && v.n >= n
}

// Before reports whether v is earlier than the version d. The zero Version
// is before every valid d; a malformed d gives false. It does not allocate.
func (v Version) Before(d string) bool {
	n, ok := parseDate(d)
	return ok && v.n < n
}

// parseDate returns YYYYMMDD for a valid date version.
func parseDate(s string) (int32, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || y == 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return int32(y*10000 + m*100 + d), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// clip shortens outside input quoted in messages.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

type ctxKey struct{}

// FromContext returns the version the [Negotiator] chose for the request
// whose context is ctx, or the zero Version when there is none. It does
// not allocate.
func FromContext(ctx context.Context) Version {
	v, _ := ctx.Value(ctxKey{}).(Version)
	return v
}

// Of returns the version negotiated for r as YYYY-MM-DD, or "" when none
// was. Its signature fits envelope.WithVersion, which makes the meta
// dialect write it as meta.version:
//
//	wr := envelope.New(envelope.Meta("2025-01-01"), envelope.WithVersion(version.Of))
func Of(r *http.Request) string { return FromContext(r.Context()).s }
