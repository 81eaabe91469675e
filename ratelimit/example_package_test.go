package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// Two requests a minute per API key: the third is refused with 429 and
// told when to come back.
func Example() {
	now := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	store, err := ratelimit.NewMemoryStore(ratelimit.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	limiter, err := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(2)},
		ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Api-Key") }))
	if err != nil {
		panic(err)
	}
	api := limiter.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))

	for range 3 {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("X-Api-Key", "key-1")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		fmt.Printf("%d X-RateLimit-Remaining=%s Retry-After=%q\n", rec.Code, rec.Header().Get("X-RateLimit-Remaining"), rec.Header().Get("Retry-After"))
		fmt.Print(rec.Body.String())
	}
	// Output:
	// 200 X-RateLimit-Remaining=1 Retry-After=""
	// hello
	// 200 X-RateLimit-Remaining=0 Retry-After=""
	// hello
	// 429 X-RateLimit-Remaining=0 Retry-After="30"
	// {"type":"about:blank","title":"Rate limit exceeded","status":429,"detail":"Too many requests; retry after 30 seconds.","instance":"/","code":"rate-limit/exceeded","violated-policies":["2/1m"]}
}
