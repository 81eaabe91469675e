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
var UnknownAccount = problem.MustDefine("billing/unknown-account", http.StatusUnprocessableEntity, "Unknown account")

func ExampleMustDefine() {
	fmt.Println(UnknownAccount.Code(), UnknownAccount.Status(), UnknownAccount.Title(), UnknownAccount.IsRetryable())
	// Output: billing/unknown-account 422 Unknown account false
}

func ExampleDefine() {
	_, err := problem.Define("NotAClassReason", 400, "Bad")
	fmt.Println(err)
	d, _ := problem.Define("internal/queue-full", 503, "Queue full")
	fmt.Println(d.Code(), d.IsRetryable())
	// Output:
	// problem: invalid code "NotAClassReason" (want class/reason, e.g. validation/required)
	// internal/queue-full true
}

func ExampleDefinition_New() {
	p := UnknownAccount.New("Account 'acc_1' does not exist")
	fmt.Println(p.Status, p.Code, p.Detail)
	// Output: 422 billing/unknown-account Account 'acc_1' does not exist
}

func ExampleDefinition_Newf() {
	p := problem.ResourceNotFound.Newf("Order with ID '%s' does not exist", "ord_123")
	fmt.Println(p.Detail)
	// Output: Order with ID 'ord_123' does not exist
}

func ExampleDefinition_Wrap() {
	dbErr := errors.New("sql: no rows in result set")
	p := problem.ResourceNotFound.Wrap(dbErr, "Order with ID 'ord_1' does not exist")
	fmt.Println(errors.Is(p, dbErr), p.Detail)
	// Output: true Order with ID 'ord_1' does not exist
}

func ExampleProblem_Is() {
	err := fmt.Errorf("load: %w", problem.ResourceNotFound.New("gone"))
	fmt.Println(errors.Is(err, problem.ResourceNotFound), errors.Is(err, problem.InvalidToken))
	// Output: true false
}

func ExampleProblem_WithFields() {
	p := problem.ValidationFailed.New("There were some problems with your input.").WithFields(
		problem.FieldError{Field: "family_name", Message: "Family name is required", Code: problem.FieldValidationError},
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
	cat, _ := problem.NewCatalog("https://api.example.com/errors/")
	p := problem.ResourceNotFound.New("Order <ord_1> & its items do not exist").WithInstance("/orders/ord_1")
	q := *p
	q.Type = cat.ResolveType(p.Type)
	b, _ := q.AppendJSON(nil)
	fmt.Println(string(b))
	// Output: {"type":"https://api.example.com/errors/resource-not-found","title":"Resource not found","status":404,"detail":"Order <ord_1> & its items do not exist","instance":"/orders/ord_1","code":"resource/not-found"}
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
	req := httptest.NewRequest("GET", "/orders/ord_1", nil)
	// No writer travels with this request, so Write falls back to plain
	// RFC 9457; behind the envelope middleware it answers in the API's
	// dialect.
	problem.Write(rec, req, problem.ResourceNotFound.New("Order with ID 'ord_1' does not exist"))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 404 application/problem+json
	// {"type":"about:blank","title":"Resource not found","status":404,"detail":"Order with ID 'ord_1' does not exist","code":"resource/not-found"}
}

func ExampleWriter() {
	cat, _ := problem.NewCatalog("https://api.example.com/errors/")
	w := problem.Writer{Catalog: cat}
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
	cat, _ := problem.NewCatalog("https://api.example.com/errors/")
	outOfCredit := problem.MustDefine("billing/out-of-credit", 403, "Out of credit", problem.WithType("out-of-credit"))
	_ = cat.Map(errOutOfCredit, outOfCredit) // registers outOfCredit too

	p := cat.From(fmt.Errorf("charge card: %w", errOutOfCredit))
	fmt.Println(p.Status, p.Code, cat.ResolveType(p.Type))

	err := cat.Register(problem.MustDefine("billing/out-of-credit", 402, "again"))
	fmt.Println(errors.Is(err, problem.ErrDuplicateCode))
	// Output:
	// 403 billing/out-of-credit https://api.example.com/errors/out-of-credit
	// true
}

func ExampleParse() {
	// A standard-dialect error: no code in the body, found by type.
	body := `{"success":false,"statusCode":404,"error":{"type":"https://api.example.com/errors/resource-not-found",` +
		`"title":"Resource not found","detail":"Order with ID 'ord_123' does not exist","instance":"/orders/ord_123"},` +
		`"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_stu901"}`
	resp := &http.Response{StatusCode: 404, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	p := problem.Parse(resp)
	fmt.Println(errors.Is(p, problem.ResourceNotFound), p.Code, p.Instance, p.Extensions["requestId"])

	// The meta dialect, as an httptest recorder captured it.
	rec := httptest.NewRecorder()
	rec.WriteHeader(409)
	rec.WriteString(`{"error":{"code":"orders/invalid-state","message":"Order already shipped","details":{"currentState":"shipped"}}}`)
	p = problem.Parse(rec.Result())
	fmt.Println(p.Status, p.Code, p.Detail, p.Extensions["currentState"])
	// Output:
	// true resource/not-found /orders/ord_123 req_1705312200000_stu901
	// 409 orders/invalid-state Order already shipped shipped
}

func ExampleParseRetryAfter() {
	now := time.Date(2025, 1, 18, 22, 31, 5, 0, time.UTC)
	fmt.Println(problem.ParseRetryAfter("120", now))
	fmt.Println(problem.ParseRetryAfter("Sat, 18 Jan 2025 22:32:05 GMT", now))
	// Output:
	// 2m0s
	// 1m0s
}
