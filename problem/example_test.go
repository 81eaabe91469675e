package problem_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// Define each kind of error once, as a package-level value.
var UnknownPatient = problem.MustDefine("referrals/unknown-patient", http.StatusUnprocessableEntity, "Unknown patient")

func ExampleMustDefine() {
	fmt.Println(UnknownPatient.Code(), UnknownPatient.Status(), UnknownPatient.Title(), UnknownPatient.IsRetryable())
	// Output: referrals/unknown-patient 422 Unknown patient false
}

func ExampleDefine() {
	_, err := problem.Define("NotAClassReason", 400, "Bad")
	fmt.Println(err)
	d, _ := problem.Define("internal/queue-full", 503, "Queue full")
	fmt.Println(d.Code(), d.IsRetryable())
	// Output:
	// problem: invalid code: "NotAClassReason" (want class/reason, e.g. validation/required)
	// internal/queue-full true
}

func ExampleDefinition_New() {
	p := UnknownPatient.New("Patient 'pat_1' does not exist")
	fmt.Println(p.Status, p.Code, p.Detail)
	// Output: 422 referrals/unknown-patient Patient 'pat_1' does not exist
}

func ExampleDefinition_Newf() {
	p := problem.PatientNotFound.Newf("Patient with ID '%s' does not exist", "pat_invalid123")
	fmt.Println(p.Detail)
	// Output: Patient with ID 'pat_invalid123' does not exist
}

func ExampleDefinition_Wrap() {
	dbErr := errors.New("sql: no rows in result set")
	p := problem.PatientNotFound.Wrap(dbErr, "Patient with ID 'pat_1' does not exist")
	fmt.Println(errors.Is(p, dbErr), p.Detail)
	// Output: true Patient with ID 'pat_1' does not exist
}

func ExampleProblem_Is() {
	err := fmt.Errorf("load: %w", problem.PatientNotFound.New("gone"))
	fmt.Println(errors.Is(err, problem.PatientNotFound), errors.Is(err, problem.InvalidToken))
	// Output: true false
}

func ExampleProblem_WithFields() {
	p := problem.ValidationFailed.New("There were some problems with your input.").WithFields(
		problem.FieldError{Field: "family_name", Message: "Family name is required", Code: problem.FieldRequired},
		problem.FieldError{Field: "date_of_birth", Message: "Invalid date format. Use YYYY-MM-DD", Code: problem.FieldInvalidFormat},
	)
	for _, f := range p.Fields {
		fmt.Println(f.Field, f.Code)
	}
	// Output:
	// family_name VALIDATION_ERROR
	// date_of_birth INVALID_FORMAT
}

func ExampleProblem_WithExtension() {
	p := problem.ResourceConflict.New("Encounter already closed").
		WithExtension("encounterId", "enc_789").
		WithExtension("status", "ignored: collides with a standard member")
	b, _ := json.Marshal(p)
	fmt.Println(string(b))
	// Output: {"type":"about:blank","title":"Resource conflict","status":409,"detail":"Encounter already closed","code":"resource/conflict","encounterId":"enc_789"}
}

func ExampleProblem_WithRetryAfter() {
	p := problem.ServiceUnavailable.New("Maintenance").WithRetryAfter(1500 * time.Millisecond)
	fmt.Println(p.RetryAfterSeconds(), p.Retryable)
	// Output: 2 true
}

func ExampleProblem_AppendJSON() {
	p := problem.PatientNotFound.New("Patient with ID 'pat_1' does not exist").WithInstance("/patients/pat_1")
	b, _ := p.AppendJSON(nil, "https://parchment.health/errors/")
	fmt.Println(string(b))
	// Output: {"type":"https://parchment.health/errors/patient-not-found","title":"Patient not found","status":404,"detail":"Patient with ID 'pat_1' does not exist","instance":"/patients/pat_1","code":"patients/not-found"}
}

func ExampleFrom() {
	for _, err := range []error{
		problem.InvalidToken.New("expired signature"),
		fmt.Errorf("query: %w", context.DeadlineExceeded),
		&http.MaxBytesError{Limit: 1 << 20},
		errors.New("pq: password authentication failed"),
	} {
		p := problem.From(err)
		fmt.Println(p.Status, p.Code, "-", p.Detail)
	}
	// Output:
	// 401 auth/invalid-token - expired signature
	// 504 internal/timeout - The request took too long to process
	// 413 validation/request-too-large - The request body exceeds the limit of 1048576 bytes
	// 500 internal/error - An unexpected error occurred while processing your request
}

func ExampleWrite() {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/patients/pat_1", nil)
	problem.Write(rec, req, problem.PatientNotFound.New("Patient with ID 'pat_1' does not exist"))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 404 application/problem+json
	// {"type":"about:blank","title":"Patient not found","status":404,"detail":"Patient with ID 'pat_1' does not exist","code":"patients/not-found"}
}

func ExampleWriter() {
	w := problem.Writer{Catalog: problem.MustNewCatalog("https://api.example.com/errors/")}
	rec := httptest.NewRecorder()
	w.WriteError(rec, httptest.NewRequest("POST", "/referrals", nil),
		problem.RateLimitExceeded.New("Too many requests").WithRetryAfter(30*time.Second))
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"))
	fmt.Println(rec.Body.String())
	// Output:
	// 429 30
	// {"type":"https://api.example.com/errors/rate-limit-exceeded","title":"Rate limit exceeded","status":429,"detail":"Too many requests","code":"rate-limit/exceeded"}
}

func ExampleErrorWriterFunc() {
	var ew problem.ErrorWriter = problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(problem.From(err).StatusCode())
	})
	rec := httptest.NewRecorder()
	ew.WriteError(rec, httptest.NewRequest("GET", "/", nil), problem.AccessDenied)
	fmt.Println(rec.Code)
	// Output: 403
}

var errOutOfCredit = errors.New("billing: out of credit")

func ExampleCatalog() {
	cat := problem.MustNewCatalog("https://api.example.com/errors/")
	outOfCredit, _ := cat.Define("billing/out-of-credit", 403, "Out of credit", problem.TypeURI("out-of-credit"))
	_ = cat.Map(errOutOfCredit, outOfCredit)

	p := cat.From(fmt.Errorf("charge card: %w", errOutOfCredit))
	fmt.Println(p.Status, p.Code, cat.ResolveType(p.Type))

	_, err := cat.Define("billing/out-of-credit", 402, "again")
	fmt.Println(errors.Is(err, problem.ErrDuplicateCode))
	// Output:
	// 403 billing/out-of-credit https://api.example.com/errors/out-of-credit
	// true
}

func ExampleParse() {
	// A standard-dialect error (seeds/001): no code in the body, found by type.
	body := `{"success":false,"statusCode":404,"error":{"type":"https://parchment.health/errors/patient-not-found",` +
		`"title":"Patient not found","detail":"Patient with ID 'pat_invalid123' does not exist","instance":"/patients/pat_invalid123"},` +
		`"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_stu901"}`
	resp := &http.Response{StatusCode: 404, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	p := problem.Parse(resp)
	fmt.Println(errors.Is(p, problem.PatientNotFound), p.Code, p.Instance, p.Extensions["requestId"])
	// Output: true patients/not-found /patients/pat_invalid123 req_1705312200000_stu901
}

func ExampleParseBody() {
	p := problem.ParseBody(409, []byte(`{"error":{"code":"minutes/invalid-state","message":"Encounter already closed","details":{"currentState":"resolved"}}}`))
	fmt.Println(p.Status, p.Code, p.Detail, p.Extensions["currentState"])
	p = problem.ParseBody(502, []byte("<html>Bad Gateway</html>"))
	fmt.Println(p.Status, p.TitleOrStatus(), p.Retryable)
	// Output:
	// 409 minutes/invalid-state Encounter already closed resolved
	// 502 Bad Gateway true
}

func ExampleParseRetryAfter() {
	now := time.Date(2025, 1, 18, 22, 31, 5, 0, time.UTC)
	fmt.Println(problem.ParseRetryAfter("120", now))
	fmt.Println(problem.ParseRetryAfter("Sat, 18 Jan 2025 22:32:05 GMT", now))
	// Output:
	// 2m0s
	// 1m0s
}

func ExampleCeilSeconds() {
	fmt.Println(problem.CeilSeconds(100*time.Millisecond), problem.CeilSeconds(2*time.Second), problem.CeilSeconds(0))
	// Output: 1 2 0
}

func ExampleResolveType() {
	fmt.Println(problem.ResolveType("https://api.example.com/errors/", "validation-error"))
	fmt.Println(problem.ResolveType("", "validation-error"))
	// Output:
	// https://api.example.com/errors/validation-error
	// about:blank
}

func ExampleClass() {
	fmt.Println(problem.Class("auth/invalid-signature"), problem.ValidateCode("auth/invalid-signature"))
	// Output: auth <nil>
}

func ExampleStandard() {
	for _, d := range problem.Standard()[:3] {
		fmt.Println(d.Status(), d.Code(), d.Type())
	}
	// Output:
	// 400 validation/invalid-request invalid-request
	// 422 validation/missing-required-field missing-required-field
	// 422 validation/invalid-format invalid-format
}
