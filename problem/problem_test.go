package problem

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDefineValidation(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		status  int
		wantErr error
	}{
		{"ok", "validation/required", 422, nil},
		{"ok with dots and underscores", "minutes/invalid_state.v2", 409, nil},
		{"no slash", "required", 422, ErrInvalidCode},
		{"two slashes", "a/b/c", 422, ErrInvalidCode},
		{"empty class", "/required", 422, ErrInvalidCode},
		{"empty reason", "validation/", 422, ErrInvalidCode},
		{"upper case", "Validation/required", 422, ErrInvalidCode},
		{"space", "validation/is required", 422, ErrInvalidCode},
		{"leading dash", "validation/-x", 422, ErrInvalidCode},
		{"too long", "a/" + strings.Repeat("x", 65), 422, ErrInvalidCode},
		{"status 200", "a/b", 200, ErrInvalidStatus},
		{"status 600", "a/b", 600, ErrInvalidStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Define(tt.code, tt.status, "T")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
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
		{"internal/anything", 500, []DefineOption{Retryable(false)}, false},
		{"db/down", 500, nil, false},
		{"rate-limit/exceeded", 429, nil, true},
		{"upstream/unavailable", 503, nil, true},
		{"validation/required", 422, nil, false},
		{"referrals/locked", 409, []DefineOption{Retryable(true)}, true},
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
		"patient-not-found": 404, "resource-conflict": 409, "partner-patient-id-conflict": 409,
		"validation-error": 422, "business-rule-violation": 422, "rate-limit-exceeded": 429,
		"internal-error": 500, "service-unavailable": 503,
	}
	got := map[string]int{}
	codes := map[string]bool{}
	for _, d := range Standard() {
		got[d.Type()] = d.Status()
		if codes[d.Code()] {
			t.Errorf("duplicate code %q in the standard catalog", d.Code())
		}
		codes[d.Code()] = true
		if err := ValidateCode(d.Code()); err != nil {
			t.Errorf("standard code %q: %v", d.Code(), err)
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
	if PatientNotFound.IsRetryable() {
		t.Error("patient-not-found must not be retryable")
	}
}

func TestIsMatchesByCode(t *testing.T) {
	p := PatientNotFound.New("Patient with ID 'x' does not exist")
	wrapped := fmt.Errorf("handler: %w", p)
	other := MustDefine("patients/not-found", 404, "different title, same code")
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"problem vs its definition", p, PatientNotFound, true},
		{"wrapped problem vs definition", wrapped, PatientNotFound, true},
		{"problem vs other definition", p, ResourceNotFound, false},
		{"same code, other definition value", p, other, true},
		{"problem vs problem", p, PatientNotFound.New("other detail"), true},
		{"problem vs problem other code", p, InvalidToken.New(""), false},
		{"definition vs definition", PatientNotFound, PatientNotFound, true},
		{"parsed without code, same type slug", &Problem{Type: "https://parchment.health/errors/patient-not-found"}, PatientNotFound, true},
		{"parsed without code, other type", &Problem{Type: "https://x/errors/invalid-token"}, PatientNotFound, false},
		{"about:blank never matches by type", &Problem{Type: AboutBlank}, &Problem{Type: AboutBlank}, false},
		{"plain error", errors.New("x"), PatientNotFound, false},
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
		WithFields(FieldError{Field: "a", Message: "m", Code: FieldRequired}).
		WithExtension("k", "v")
	// Derive two problems from one base: neither may see the other's changes.
	a := base.WithFields(FieldError{Field: "b"}).WithExtension("k", "a").WithDetail("a")
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
	c := base.WithCause(cause).WithRetryAfter(1500 * time.Millisecond)
	if base.Unwrap() != nil || !errors.Is(c, cause) {
		t.Fatal("WithCause must set the cause on the copy only")
	}
	if c.RetryAfterSeconds() != 2 {
		t.Fatalf("RetryAfterSeconds = %d, want 2", c.RetryAfterSeconds())
	}
}

func TestErrorAndStatus(t *testing.T) {
	p := PatientNotFound.Wrap(errors.New("sql: no rows"), "no such patient")
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
	if got := PatientNotFound.Error(); got != "problem: patients/not-found" {
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
		if got := CeilSeconds(tt.d); got != tt.want {
			t.Errorf("CeilSeconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}
