package problem

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// aboutBlank is the problem type of a problem with no semantics beyond its
// HTTP status (RFC 9457 §4.2.1).
const aboutBlank = "about:blank"

// Definition is a problem type: a code, an HTTP status, a title, a type URI
// and whether a retry may succeed. It is an immutable value: define it once,
// usually as a package-level variable, and make occurrences with
// [Definition.New].
//
// A Definition is also an error, so a handler may return one directly and
// errors.Is(err, def) matches every problem with the same code.
type Definition struct {
	code      string
	status    int
	title     string
	typ       string
	retryable bool
	header    http.Header // read-only, shared by every occurrence
}

// DefineOption configures a [Definition].
type DefineOption interface{ apply(*Definition) }

type defineOptionFunc func(*Definition)

func (f defineOptionFunc) apply(d *Definition) { f(d) }

// WithType sets the problem type: an absolute URI
// ("https://example.com/errors/out-of-credit") is used as it is; a relative
// slug ("out-of-credit") is resolved against the catalog's base URI
// ([Catalog.ResolveType]). Default: the code, resolved the same way; with no
// base URI such a type is rendered as "about:blank".
func WithType(uri string) DefineOption {
	return defineOptionFunc(func(d *Definition) { d.typ = uri })
}

// WithRetryable sets whether repeating the request may succeed.
// Default: true for the "internal" class and the statuses 408, 429, 502,
// 503 and 504, false for every other definition.
func WithRetryable(retryable bool) DefineOption {
	return defineOptionFunc(func(d *Definition) { d.retryable = retryable })
}

// WithHeader adds a response header that every occurrence of the
// definition carries (see [Problem.Header]); repeat it for several values.
// Default: none, except that a 401 definition without a WWW-Authenticate
// header gets "WWW-Authenticate: Bearer" (RFC 9110 §15.5.2 requires one).
func WithHeader(key, value string) DefineOption {
	return defineOptionFunc(func(d *Definition) {
		h := d.header.Clone()
		if h == nil {
			h = make(http.Header, 1)
		}
		h.Add(key, value)
		d.header = h
	})
}

// ErrDuplicateCode reports a code already registered in a catalog
// ([Catalog.Register], [Catalog.Map]).
var ErrDuplicateCode = errors.New("problem: duplicate code")

// Define makes a problem type. code must be class/reason: each part 1–64
// characters of lower-case letters, digits, '-', '_' and '.', starting with
// a letter or digit. status must be 400–599. An empty title means the status
// phrase.
func Define(code string, status int, title string, opts ...DefineOption) (Definition, error) {
	if err := validateCode(code); err != nil {
		return Definition{}, err
	}
	if status < 400 || status > 599 {
		return Definition{}, fmt.Errorf("problem: invalid status %d for %q (want 400–599)", status, code)
	}
	d := Definition{code: code, status: status, title: title, typ: code}
	d.retryable = class(code) == "internal" || defaultRetryable(status)
	for _, o := range opts {
		o.apply(&d)
	}
	if status == http.StatusUnauthorized && d.header.Get("WWW-Authenticate") == "" {
		WithHeader("WWW-Authenticate", "Bearer").apply(&d)
	}
	return d, nil
}

// MustDefine is like [Define] but panics on an invalid code or status. It is
// meant for package-level variables, where the arguments are constants.
func MustDefine(code string, status int, title string, opts ...DefineOption) Definition {
	d, err := Define(code, status, title, opts...)
	if err != nil {
		panic(err)
	}
	return d
}

func defaultRetryable(status int) bool {
	switch status {
	case 408, 429, 502, 503, 504:
		return true
	}
	return false
}

// validateCode reports whether code has the form class/reason.
func validateCode(code string) error {
	class, reason, ok := strings.Cut(code, "/")
	if !ok || !validPart(class) || !validPart(reason) {
		return fmt.Errorf("problem: invalid code %q (want class/reason, e.g. validation/required)", code)
	}
	return nil
}

func validPart(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

// class returns the class part of a code: "auth" for "auth/invalid-token".
func class(code string) string {
	class, _, _ := strings.Cut(code, "/")
	return class
}

func (d Definition) equal(o Definition) bool {
	return d.code == o.code && d.status == o.status && d.title == o.title && d.typ == o.typ &&
		d.retryable == o.retryable && maps.EqualFunc(d.header, o.header, slices.Equal)
}

// Code returns the definition's code.
func (d Definition) Code() string { return d.code }

// Status returns the HTTP status.
func (d Definition) Status() int { return d.status }

// Title returns the title.
func (d Definition) Title() string { return d.title }

// Type returns the type as defined: an absolute URI or a slug.
func (d Definition) Type() string { return d.typ }

// IsRetryable reports whether repeating the request may succeed.
func (d Definition) IsRetryable() bool { return d.retryable }

// IsZero reports whether d is the zero Definition.
func (d Definition) IsZero() bool { return d.code == "" }

// Error makes a Definition usable as a sentinel error.
func (d Definition) Error() string { return "problem: " + d.code }

// Is matches problems and definitions with the same code.
func (d Definition) Is(target error) bool {
	switch t := target.(type) {
	case Definition:
		return d.code != "" && d.code == t.code
	case *Problem:
		return t != nil && sameKind(d.code, d.typ, t.Code, t.Type)
	}
	return false
}

// New makes an occurrence with the given detail. The result is a new value
// the caller owns; d is not changed.
func (d Definition) New(detail string) *Problem {
	return &Problem{
		Type:      d.typ,
		Title:     d.title,
		Status:    d.status,
		Detail:    detail,
		Code:      d.code,
		Retryable: d.retryable,
		Header:    d.header,
	}
}

// Newf makes an occurrence with a formatted detail.
func (d Definition) Newf(format string, args ...any) *Problem {
	return d.New(fmt.Sprintf(format, args...))
}

// Wrap makes an occurrence with the given detail that keeps err as its
// cause, for logs; err's text is never rendered.
func (d Definition) Wrap(err error, detail string) *Problem {
	p := d.New(detail)
	p.cause = err
	return p
}
