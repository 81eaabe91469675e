package problem_test

import (
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/apikit-go/apikit/problem"
)

func ExampleSetHeaders() {
	// A writer of another format encodes its own body and lets SetHeaders
	// set the headers the problem carries.
	p := problem.RateLimitExceeded.New("Too many requests").WithRetryAfter(2500 * time.Millisecond)
	rec := httptest.NewRecorder()
	problem.SetHeaders(rec.Header(), p)
	problem.SetHeaders(rec.Header(), problem.InvalidToken.New("expired"))
	fmt.Println(rec.Header().Get("Retry-After"), rec.Header().Get("WWW-Authenticate"))
	// Output: 3 Bearer error="invalid_token"
}

func ExampleWithHeader() {
	// Every 401 carries WWW-Authenticate; a definition may choose its value.
	apiKey := problem.MustDefine("auth/invalid-api-key", 401, "Invalid API key",
		problem.WithHeader("WWW-Authenticate", `ApiKey realm="api.example.com"`))
	bare := problem.MustDefine("auth/session-required", 401, "Session required")
	for _, d := range []problem.Definition{apiKey, bare} {
		rec := httptest.NewRecorder()
		problem.Writer{}.WriteError(rec, httptest.NewRequest("GET", "/", nil), d)
		fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	// Output:
	// 401 ApiKey realm="api.example.com"
	// 401 Bearer
}

func ExampleProblem_WithHeader() {
	p := problem.MethodNotAllowed.New("DELETE is not allowed here").WithHeader("Allow", "GET, POST")
	rec := httptest.NewRecorder()
	problem.Writer{}.WriteError(rec, httptest.NewRequest("DELETE", "/orders", nil), p)
	fmt.Println(rec.Code, rec.Header().Get("Allow"))
	// Output: 405 GET, POST
}

func ExampleNewCatalog() {
	cat, err := problem.NewCatalog("https://api.example.com/errors/")
	fmt.Println(err)
	d, ok := cat.Lookup("resource/not-found")
	fmt.Println(ok, cat.ResolveType(d.Type()))

	_, err = problem.NewCatalog("errors/")
	fmt.Println(err)

	none, _ := problem.NewCatalog("") // no base: relative types render as about:blank
	fmt.Println(len(none.Definitions()), none.ResolveType(problem.InvalidToken.Type()))
	// Output:
	// <nil>
	// true https://api.example.com/errors/resource-not-found
	// problem: base URI "errors/" is not absolute
	// 19 about:blank
}

func ExampleWithRetryable() {
	// A 409 is not retryable by default; this conflict clears once the
	// other writer finishes, so the definition says a retry may succeed.
	locked := problem.MustDefine("resource/locked", 409, "Resource locked", problem.WithRetryable(true))
	fmt.Println(locked.IsRetryable(), locked.New("Try again shortly").Retryable)

	// An internal error that repeating cannot fix.
	misconfigured := problem.MustDefine("internal/misconfigured", 500, "Misconfigured", problem.WithRetryable(false))
	fmt.Println(misconfigured.IsRetryable())
	// Output:
	// true true
	// false
}

func ExampleWithRetryable_default() {
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

func ExampleWithType() {
	cat, _ := problem.NewCatalog("https://api.example.com/errors/")
	slug := problem.MustDefine("billing/out-of-credit", 403, "Out of credit", problem.WithType("out-of-credit"))
	abs := problem.MustDefine("billing/card-declined", 402, "Card declined", problem.WithType("https://example.com/probs/declined"))
	none := problem.MustDefine("billing/expired", 402, "Card expired")
	for _, d := range []problem.Definition{slug, abs, none} {
		fmt.Println(d.Type(), "->", cat.ResolveType(d.Type()))
	}
	// Output:
	// out-of-credit -> https://api.example.com/errors/out-of-credit
	// https://example.com/probs/declined -> https://example.com/probs/declined
	// billing/expired -> https://api.example.com/errors/billing/expired
}

func ExampleCatalog_ResolveType() {
	cat, _ := problem.NewCatalog("https://api.example.com/errors/")
	fmt.Println(cat.ResolveType("validation-error"))
	fmt.Println(cat.ResolveType("https://example.com/probs/declined"))
	var none *problem.Catalog // no catalog: relative types have no URI
	fmt.Println(none.ResolveType("validation-error"))
	// Output:
	// https://api.example.com/errors/validation-error
	// https://example.com/probs/declined
	// about:blank
}
