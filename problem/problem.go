package problem

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem is one occurrence of an error, as RFC 9457 describes it, plus a
// machine code of the form class/reason ("validation/required",
// "auth/invalid-signature").
//
// A Problem is made from a [Definition] with [Definition.New], by [From]
// from any Go error, or by [Parse] from a response. The With methods return
// modified copies, so a *Problem held in a variable can be shared safely.
// The fields are exported for reading; a writer renders them as they are.
type Problem struct {
	// Type is a URI reference identifying the problem type. An absolute URI
	// is rendered as it is; a relative one (a slug such as
	// "validation-error") is resolved against the writer's base URI; empty
	// means "about:blank".
	Type string
	// Title is a short summary of the problem type; empty means the HTTP
	// status phrase.
	Title string
	// Status is the HTTP status code. It is always the status the response
	// is written with.
	Status int
	// Detail explains this occurrence to a human. For 5xx problems made by
	// [From] it is a fixed generic sentence, never the cause's text.
	Detail string
	// Instance identifies this occurrence, typically the request path.
	Instance string
	// Code is the machine-readable code, class/reason.
	Code string
	// Fields lists field-level validation errors.
	Fields []FieldError
	// Extensions are extra members: flat at the top level in RFC 9457, the
	// "details" object in the meta dialect. Members whose names collide
	// with the standard ones are never rendered. Names are lowerCamelCase
	// ("retryAfter", "requestId", "encounterId"), except members whose
	// name is fixed by a registry or a specification, which keep it
	// ("violated-policies" of the IANA HTTP Problem Types registry).
	Extensions map[string]any
	// Header holds response headers every writer sets with the problem,
	// such as WWW-Authenticate (set by default on 401 definitions) or
	// Allow (on 405s). Treat it as read-only: it may be shared with the
	// [Definition]; [Problem.WithHeader] makes a modified copy. Headers
	// the writer owns (Content-Type, Content-Length,
	// X-Content-Type-Options, X-Request-Id) are ignored.
	Header http.Header
	// RetryAfter, when positive, is written as the Retry-After header
	// (whole seconds, rounded up).
	RetryAfter time.Duration
	// Retryable reports whether repeating the same request may succeed.
	Retryable bool

	cause error
}

// FieldError is one field-level validation error.
type FieldError struct {
	// Field is the path of the offending field ("family_name",
	// "address.postcode", "items[2].qty").
	Field string `json:"field"`
	// Message explains the error to a human.
	Message string `json:"message"`
	// Code classifies the error ("VALIDATION_ERROR", "INVALID_FORMAT").
	Code string `json:"code,omitempty"`
}

// Field-error codes used by apikit and by the seed APIs. Each constant is
// named after its value.
const (
	// FieldValidationError is the code seeds/001 gives a field that fails
	// validation, for example a missing required field.
	FieldValidationError = "VALIDATION_ERROR"
	// FieldInvalidFormat is the code of a field whose value is malformed.
	FieldInvalidFormat = "INVALID_FORMAT"
	// FieldInvalidType is the code of a field of the wrong JSON type.
	FieldInvalidType = "INVALID_TYPE"
	// FieldUnknownField is the code of a field the request type does not
	// have.
	FieldUnknownField = "UNKNOWN_FIELD"
	// FieldDuplicateField is the code of a member that appears more than
	// once in one JSON object.
	FieldDuplicateField = "DUPLICATE_FIELD"
)

// Error returns a one-line description for logs: code, status, detail and
// the cause, if any. It is never sent to clients.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString("problem: ")
	if p.Code != "" {
		b.WriteString(p.Code)
	} else {
		b.WriteString(p.TitleOrStatus())
	}
	b.WriteString(" (")
	b.WriteString(strconv.Itoa(p.StatusCode()))
	b.WriteString(")")
	if p.Detail != "" {
		b.WriteString(": ")
		b.WriteString(p.Detail)
	}
	if p.cause != nil {
		b.WriteString(": ")
		b.WriteString(p.cause.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause, kept for logs and errors.Is/As.
func (p *Problem) Unwrap() error { return p.cause }

// StatusCode returns the HTTP status to write: Status when it is a valid
// error status (400–599), else 500.
func (p *Problem) StatusCode() int {
	if p == nil || p.Status < 400 || p.Status > 599 {
		return http.StatusInternalServerError
	}
	return p.Status
}

// TitleOrStatus returns Title, or the status phrase when Title is empty.
func (p *Problem) TitleOrStatus() string {
	if p.Title != "" {
		return p.Title
	}
	if t := http.StatusText(p.StatusCode()); t != "" {
		return t
	}
	return "Error"
}

// Is reports whether target is the same kind of problem: a [Definition] or
// *Problem with the same code. When either side has no code, the types are
// compared instead. This makes errors.Is(err, problem.ResourceNotFound) work
// on a problem parsed from a response.
func (p *Problem) Is(target error) bool {
	switch t := target.(type) {
	case *Problem:
		return t != nil && sameKind(p.Code, p.Type, t.Code, t.Type)
	case Definition:
		return sameKind(p.Code, p.Type, t.code, t.typ)
	}
	return false
}

func sameKind(codeA, typeA, codeB, typeB string) bool {
	if codeA != "" && codeB != "" {
		return codeA == codeB
	}
	if typeA == "" || typeB == "" || typeA == aboutBlank || typeB == aboutBlank {
		return false
	}
	return typeA == typeB || typeSlug(typeA) == typeSlug(typeB)
}

// typeSlug returns the last path segment of a type URI.
func typeSlug(t string) string {
	t = strings.TrimRight(t, "/")
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		return t[i+1:]
	}
	return t
}

func (p *Problem) clone() *Problem {
	c := *p
	return &c
}

// WithInstance returns a copy with Instance set.
func (p *Problem) WithInstance(instance string) *Problem {
	c := p.clone()
	c.Instance = instance
	return c
}

// WithFields returns a copy with the field errors appended.
func (p *Problem) WithFields(fields ...FieldError) *Problem {
	c := p.clone()
	c.Fields = append(slices.Clip(p.Fields), fields...)
	return c
}

// WithExtension returns a copy with the extension member name set to v.
// Names of standard members ("type", "title", "status", "detail",
// "instance", "code", "errors") are ignored: they would collide.
func (p *Problem) WithExtension(name string, v any) *Problem {
	c := p.clone()
	if reserved(name) {
		return c
	}
	c.Extensions = maps.Clone(p.Extensions)
	if c.Extensions == nil {
		c.Extensions = make(map[string]any, 1)
	}
	c.Extensions[name] = v
	return c
}

// WithHeader returns a copy whose [Problem.Header] has value added to key.
func (p *Problem) WithHeader(key, value string) *Problem {
	c := p.clone()
	c.Header = p.Header.Clone()
	if c.Header == nil {
		c.Header = make(http.Header, 1)
	}
	c.Header.Add(key, value)
	return c
}

// WithRetryAfter returns a copy that tells the client to retry after d.
func (p *Problem) WithRetryAfter(d time.Duration) *Problem {
	c := p.clone()
	c.RetryAfter = d
	return c
}

// RetryAfterSeconds returns RetryAfter in whole seconds, rounded up and at
// least 1, or 0 when RetryAfter is not positive: the value of the
// Retry-After header every writer sets.
func (p *Problem) RetryAfterSeconds() int64 {
	d := p.RetryAfter
	if d <= 0 {
		return 0
	}
	return max(int64((d+time.Second-1)/time.Second), 1)
}

// reserved reports the member names RFC 9457 and apikit give a meaning;
// extensions never use them.
func reserved(name string) bool {
	switch name {
	case "type", "title", "status", "detail", "instance", "code", "errors":
		return true
	}
	return false
}
