package problem_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/apikit-go/apikit/problem"
)

func ExampleAppendExtensions() {
	b, err := problem.AppendExtensions(nil, map[string]any{"currentState": "resolved", "attempts": 3})
	fmt.Println(string(b), err)
	b, _ = problem.AppendExtensions(nil, nil)
	fmt.Println(string(b))
	_, err = problem.AppendExtensions(nil, map[string]any{"callback": func() {}})
	fmt.Println(err != nil)
	// Output:
	// {"attempts":3,"currentState":"resolved"} <nil>
	// {}
	// true
}

func ExampleAppendFields() {
	b := problem.AppendFields([]byte(`{"errors":`), []problem.FieldError{
		{Field: "family_name", Message: "Family name is required", Code: problem.FieldRequired},
		{Field: "email", Message: "Not an e-mail address"},
	})
	b = append(b, '}')
	fmt.Println(string(b))
	// Output: {"errors":[{"field":"family_name","message":"Family name is required","code":"VALIDATION_ERROR"},{"field":"email","message":"Not an e-mail address"}]}
}

func ExampleValidateCode() {
	for _, code := range []string{"billing/out-of-credit", "billing", "Billing/OutOfCredit", "billing/-x"} {
		err := problem.ValidateCode(code)
		fmt.Println(code, errors.Is(err, problem.ErrInvalidCode))
	}
	// Output:
	// billing/out-of-credit false
	// billing true
	// Billing/OutOfCredit true
	// billing/-x true
}

func ExampleWriteBody() {
	// A writer of another dialect encodes its own body and lets WriteBody
	// set the headers every dialect shares.
	p := problem.RateLimitExceeded.New("Too many requests").WithRetryAfter(2500 * time.Millisecond)
	body := []byte(`{"error":{"code":"rate-limit/exceeded","message":"Too many requests"}}`)

	rec := httptest.NewRecorder()
	problem.WriteBody(rec, httptest.NewRequest("GET", "/patients", nil), p, "application/json", body)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Length"),
		rec.Header().Get("Retry-After"), rec.Header().Get("X-Content-Type-Options"))
	fmt.Println(rec.Body.String())

	head := httptest.NewRecorder()
	problem.WriteBody(head, httptest.NewRequest("HEAD", "/patients", nil), p, "application/json", body)
	fmt.Println(head.Code, head.Header().Get("Content-Length"), head.Body.Len())
	// Output:
	// 429 application/json 70 3 nosniff
	// {"error":{"code":"rate-limit/exceeded","message":"Too many requests"}}
	// 429 70 0
}

func ExampleNewCatalog() {
	cat, err := problem.NewCatalog("https://api.example.com/errors/")
	fmt.Println(err, cat.Base())
	d, ok := cat.Lookup("patients/not-found")
	fmt.Println(ok, cat.ResolveType(d.Type()))

	_, err = problem.NewCatalog("errors/")
	fmt.Println(err)
	// Output:
	// <nil> https://api.example.com/errors/
	// true https://api.example.com/errors/patient-not-found
	// problem: base URI "errors/" is not absolute
}

func ExampleMustNewCatalog() {
	cat := problem.MustNewCatalog("") // no base: relative types render as about:blank
	fmt.Println(len(cat.Definitions()) == len(problem.Standard()), cat.ResolveType(problem.InvalidToken.Type()))

	defer func() { fmt.Println("panic:", recover()) }()
	problem.MustNewCatalog("not a URI")
	// Output:
	// true about:blank
	// panic: problem: base URI "not a URI" is not absolute
}

func ExampleRetryable() {
	// A 409 is not retryable by default; this conflict clears once the
	// other writer finishes, so the definition says a retry may succeed.
	locked := problem.MustDefine("resource/locked", 409, "Resource locked", problem.Retryable(true))
	fmt.Println(locked.IsRetryable(), locked.New("Try again shortly").Retryable)

	// An internal error that repeating cannot fix.
	misconfigured := problem.MustDefine("internal/misconfigured", 500, "Misconfigured", problem.Retryable(false))
	fmt.Println(misconfigured.IsRetryable())
	// Output:
	// true true
	// false
}

func ExampleRetryable_default() {
	for _, d := range []problem.Definition{
		problem.MustDefine("billing/declined", 402, "Declined"),
		problem.MustDefine("upstream/timeout", 504, "Upstream timeout"),
		problem.MustDefine("internal/bug", 500, "Bug"),
	} {
		fmt.Println(d.Code(), d.IsRetryable())
	}
	// Output:
	// billing/declined false
	// upstream/timeout true
	// internal/bug true
}

func ExampleTypeURI() {
	base := "https://api.example.com/errors/"
	slug := problem.MustDefine("billing/out-of-credit", 403, "Out of credit", problem.TypeURI("out-of-credit"))
	abs := problem.MustDefine("billing/card-declined", 402, "Card declined", problem.TypeURI("https://example.com/probs/declined"))
	none := problem.MustDefine("billing/expired", 402, "Card expired")
	for _, d := range []problem.Definition{slug, abs, none} {
		fmt.Println(d.Type(), "->", problem.ResolveType(base, d.Type()))
	}
	// Output:
	// out-of-credit -> https://api.example.com/errors/out-of-credit
	// https://example.com/probs/declined -> https://example.com/probs/declined
	// billing/expired -> https://api.example.com/errors/billing/expired
}
