package problem

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDefineValidation(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		status  int
		wantErr string
	}{
		{"ok", "validation/required", 422, ""},
		{"ok with dots and underscores", "minutes/invalid_state.v2", 409, ""},
		{"no slash", "required", 422, "invalid code"},
		{"two slashes", "a/b/c", 422, "invalid code"},
		{"empty class", "/required", 422, "invalid code"},
		{"empty reason", "validation/", 422, "invalid code"},
		{"upper case", "Validation/required", 422, "invalid code"},
		{"space", "validation/is required", 422, "invalid code"},
		{"leading dash", "validation/-x", 422, "invalid code"},
		{"too long", "a/" + strings.Repeat("x", 65), 422, "invalid code"},
		{"status 200", "a/b", 200, "invalid status"},
		{"status 600", "a/b", 600, "invalid status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Define(tt.code, tt.status, "T")
			if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Define(%q, %d) error = %v, want %v", tt.code, tt.status, err, tt.wantErr)
			}
		})
	}
}

func TestMustDefinePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustDefine with a bad code did not panic")
		}
	}()
	MustDefine("bad", 400, "")
}

func TestDefaultRetryable(t *testing.T) {
	tests := []struct {
		code   string
		status int
		opts   []DefineOption
		want   bool
	}{
		{"internal/anything", 500, nil, true},
		{"internal/anything", 500, []DefineOption{WithRetryable(false)}, false},
		{"db/down", 500, nil, false},
		{"rate-limit/exceeded", 429, nil, true},
		{"upstream/unavailable", 503, nil, true},
		{"validation/required", 422, nil, false},
		{"referrals/locked", 409, []DefineOption{WithRetryable(true)}, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.code, tt.status), func(t *testing.T) {
			d := MustDefine(tt.code, tt.status, "", tt.opts...)
			if d.IsRetryable() != tt.want {
				t.Fatalf("IsRetryable = %v, want %v", d.IsRetryable(), tt.want)
			}
			if p := d.New(""); p.Retryable != tt.want {
				t.Fatalf("instance Retryable = %v, want %v", p.Retryable, tt.want)
			}
		})
	}
}

func TestStandardCatalogStatuses(t *testing.T) {
	// The error types of seeds/001 with the statuses of its status table.
	want := map[string]int{
		"invalid-request": 400, "missing-required-field": 422, "invalid-format": 422,
		"authentication-required": 401, "invalid-token": 401, "token-expired": 401,
		"insufficient-scope": 403, "access-denied": 403, "resource-not-found": 404,
		"resource-conflict": 409,
		"validation-error":  422, "business-rule-violation": 422, "rate-limit-exceeded": 429,
		"internal-error": 500, "service-unavailable": 503,
	}
	got := map[string]int{}
	codes := map[string]bool{}
	for _, d := range standard() {
		got[d.Type()] = d.Status()
		if codes[d.Code()] {
			t.Errorf("duplicate code %q in the standard catalog", d.Code())
		}
		codes[d.Code()] = true
		if err := validateCode(d.Code()); err != nil {
			t.Errorf("standard code %q: %v", d.Code(), err)
		}
	}
	if len(got) != len(want)+4 { // + request-too-large, timeout, method-not-allowed, unsupported-media-type
		t.Errorf("standard catalog has %d types, want %d: a type was added or removed", len(got), len(want)+4)
	}
	for _, demo := range []string{"patient-not-found", "partner-patient-id-conflict"} {
		if _, ok := got[demo]; ok {
			t.Errorf("%s is in the generic catalog; it belongs to the seed-001 API", demo)
		}
	}
	for slug, status := range want {
		if got[slug] != status {
			t.Errorf("%s: status %d, want %d", slug, got[slug], status)
		}
	}
	if !InternalError.IsRetryable() || !ServiceUnavailable.IsRetryable() || !RateLimitExceeded.IsRetryable() {
		t.Error("internal-error, service-unavailable and rate-limit-exceeded must be retryable")
	}
	if patientNotFound.IsRetryable() {
		t.Error("patient-not-found must not be retryable")
	}
}

func TestIsMatchesByCode(t *testing.T) {
	p := patientNotFound.New("Patient with ID 'x' does not exist")
	wrapped := fmt.Errorf("handler: %w", p)
	other := MustDefine("patients/not-found", 404, "different title, same code")
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"problem vs its definition", p, patientNotFound, true},
		{"wrapped problem vs definition", wrapped, patientNotFound, true},
		{"problem vs other definition", p, ResourceNotFound, false},
		{"same code, other definition value", p, other, true},
		{"problem vs problem", p, patientNotFound.New("other detail"), true},
		{"problem vs problem other code", p, InvalidToken.New(""), false},
		{"definition vs definition", patientNotFound, patientNotFound, true},
		{"parsed without code, same type slug", &Problem{Type: "https://parchment.health/errors/patient-not-found"}, patientNotFound, true},
		{"parsed without code, other type", &Problem{Type: "https://x/errors/invalid-token"}, patientNotFound, false},
		{"about:blank never matches by type", &Problem{Type: aboutBlank}, &Problem{Type: aboutBlank}, false},
		{"plain error", errors.New("x"), patientNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Fatalf("errors.Is = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWithMethodsCopy(t *testing.T) {
	base := ValidationFailed.New("There were some problems with your input.").
		WithFields(FieldError{Field: "a", Message: "m", Code: FieldValidationError}).
		WithExtension("k", "v")
	// Derive two problems from one base: neither may see the other's changes.
	a := base.WithFields(FieldError{Field: "b"}).WithExtension("k", "a").WithInstance("a")
	b := base.WithFields(FieldError{Field: "c"}).WithExtension("k", "b").WithInstance("/b")
	if len(base.Fields) != 1 || base.Extensions["k"] != "v" || base.Detail != "There were some problems with your input." || base.Instance != "" {
		t.Fatalf("base changed: %+v", base)
	}
	if a.Fields[1].Field != "b" || b.Fields[1].Field != "c" {
		t.Fatalf("field slices alias: a=%v b=%v", a.Fields, b.Fields)
	}
	if a.Extensions["k"] != "a" || b.Extensions["k"] != "b" {
		t.Fatalf("extension maps alias: a=%v b=%v", a.Extensions, b.Extensions)
	}
	if got := base.WithExtension("status", 200); got.Extensions["status"] != nil {
		t.Fatal("a reserved member name was accepted as an extension")
	}
	cause := errors.New("db: connection refused")
	c := InternalError.Wrap(cause, "").WithRetryAfter(1500 * time.Millisecond)
	if base.Unwrap() != nil || !errors.Is(c, cause) {
		t.Fatal("Wrap must keep the cause, through the With copies")
	}
	if c.RetryAfterSeconds() != 2 {
		t.Fatalf("RetryAfterSeconds = %d, want 2", c.RetryAfterSeconds())
	}
}

func TestErrorAndStatus(t *testing.T) {
	p := patientNotFound.Wrap(errors.New("sql: no rows"), "no such patient")
	if got, want := p.Error(), "problem: patients/not-found (404): no such patient: sql: no rows"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	for _, s := range []int{0, 200, 399, 600} {
		if got := (&Problem{Status: s}).StatusCode(); got != 500 {
			t.Errorf("StatusCode for %d = %d, want 500", s, got)
		}
	}
	if got := (&Problem{Status: 418}).TitleOrStatus(); got != "I'm a teapot" {
		t.Errorf("TitleOrStatus = %q", got)
	}
	if got := patientNotFound.Error(); got != "problem: patients/not-found" {
		t.Errorf("Definition.Error() = %q", got)
	}
}

func TestCeilSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{0, 0}, {-time.Second, 0}, {time.Nanosecond, 1}, {time.Second, 1},
		{time.Second + time.Nanosecond, 2}, {59*time.Second + 999*time.Millisecond, 60},
	}
	for _, tt := range tests {
		if got := ceilSeconds(tt.d); got != tt.want {
			t.Errorf("ceilSeconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestEvery401CarriesWWWAuthenticate(t *testing.T) {
	defs := append(standard(), MustDefine("auth/custom", 401, "Custom"))
	for _, d := range defs {
		rec := httptest.NewRecorder()
		Writer{}.WriteError(rec, httptest.NewRequest("GET", "/", nil), d)
		got := rec.Header().Get("WWW-Authenticate")
		switch {
		case d.Status() == 401 && !strings.HasPrefix(got, "Bearer"):
			t.Errorf("%s: WWW-Authenticate = %q, want a Bearer challenge", d.Code(), got)
		case d.Code() == "auth/invalid-token" && got != `Bearer error="invalid_token"`:
			t.Errorf("%s: WWW-Authenticate = %q", d.Code(), got)
		}
	}
	// A problem built by hand, without a definition, also gets one.
	rec := httptest.NewRecorder()
	Writer{}.WriteError(rec, httptest.NewRequest("GET", "/", nil), &Problem{Status: 401})
	if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
		t.Errorf("hand-made 401: WWW-Authenticate = %q, want Bearer", got)
	}
}

func TestWithHeaderCopies(t *testing.T) {
	base := MethodNotAllowed.New("no")
	a := base.WithHeader("Allow", "GET")
	b := a.WithHeader("Allow", "POST")
	if base.Header != nil || a.Header.Get("Allow") != "GET" || len(a.Header["Allow"]) != 1 || len(b.Header["Allow"]) != 2 {
		t.Fatalf("WithHeader shares state: base %v, a %v, b %v", base.Header, a.Header, b.Header)
	}
	rec := httptest.NewRecorder()
	Writer{}.WriteError(rec, httptest.NewRequest("GET", "/", nil), b.WithHeader("Content-Type", "text/html"))
	if got := rec.Header().Values("Allow"); len(got) != 2 || rec.Header().Get("Content-Type") != ContentType {
		t.Fatalf("headers = %v", rec.Header())
	}
}

func TestEchoedTextIsCapped(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	p := ResourceNotFound.New("Order '" + long + "' does not exist").WithInstance("/orders/" + long).
		WithFields(FieldError{Field: long, Message: long})
	b, err := p.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 4<<10 {
		t.Fatalf("a 100 KiB id is echoed: body is %d bytes", len(b))
	}
	if !strings.Contains(string(b), "xx…") {
		t.Fatalf("cut text is not marked: %.200s", b)
	}
}

func TestSetHeadersDoesNotShareTheDefinitionsValues(t *testing.T) {
	h := http.Header{}
	SetHeaders(h, InvalidToken.New("x"))
	h["Www-Authenticate"][0] = "changed"
	h.Add("Www-Authenticate", "added")
	h2 := http.Header{}
	SetHeaders(h2, InvalidToken.New("y"))
	if got := h2.Values("Www-Authenticate"); len(got) != 1 || got[0] != `Bearer error="invalid_token"` {
		t.Fatalf("a response changed the definition's header: %q", got)
	}
}
