package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// A fixed clock makes the examples' output stable.
func exampleClock() func() time.Time {
	t := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	return func() time.Time { return t }
}

func ExampleNew() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim, err := ratelimit.New(store, []ratelimit.Policy{
		ratelimit.PerSecond(2),
		ratelimit.PerHour(1000).WithName("hourly"),
	})
	if err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		d, err := lim.Allow(context.Background(), "partner-42")
		if err != nil {
			panic(err)
		}
		fmt.Println(d.String())
	}
	// Output:
	// allowed by "2/1s": remaining 1, reset 500ms
	// allowed by "2/1s": remaining 0, reset 1s
	// denied by "2/1s": remaining 0, reset 1s, retry after 500ms
}

func ExampleLimiter_AllowN() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(100)}))
	ctx := context.Background()
	d, _ := lim.AllowN(ctx, "export-job", 60) // a request that weighs 60
	fmt.Println(d.Allowed, d.Policy().Remaining)
	d, _ = lim.AllowN(ctx, "export-job", 60)
	fmt.Println(d.Allowed, d.Policy().Remaining, d.RetryAfter())
	d, _ = lim.AllowN(ctx, "export-job", 0) // only look
	fmt.Println(d.Allowed, d.Policy().Remaining, d.Policy().Reset)
	// Output:
	// true 40
	// false 40 12s
	// true 40 36s
}

func ExampleParsePolicy() {
	p, err := ratelimit.ParsePolicy("100/1m")
	fmt.Println(p.Limit, p.Period, p, err)
	p, err = ratelimit.ParsePolicy("20/1s;burst=40")
	fmt.Println(p.Limit, p.Period, p.Burst, err)
	_, err = ratelimit.ParsePolicy("100 per minute")
	fmt.Println(err)
	// Output:
	// 100 1m0s 100/1m <nil>
	// 20 1s 40 <nil>
	// ratelimit: invalid policy: "100 per minute": want limit/period such as 100/1m
}

func ExampleLimiter_Handler() {
	store, err := ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock()))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	lim, err := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(2).WithName("default")},
		ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Api-Key") }))
	if err != nil {
		panic(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	handler := lim.Handler(hello)

	for i := 0; i < 3; i++ {
		req := httptest.NewRequest("GET", "/v1/things", nil)
		req.Header.Set("X-Api-Key", "key-123")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		h := rec.Header()
		fmt.Println(rec.Code, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"),
			h.Get("X-RateLimit-Reset"), h.Get("RateLimit"), "retry:"+h.Get("Retry-After"))
	}
	// Output:
	// 200 2 1 1736937030 default;r=1;t=30 retry:
	// 200 2 0 1736937060 default;r=0;t=60 retry:
	// 429 2 0 1736937030 default;r=0;t=30 retry:30
}

func ExampleClientIP() {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.7:41000"
	r.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.9")
	fmt.Println(ratelimit.ClientIP(r, proxies))
	r.RemoteAddr = "198.51.100.1:41000" // not a proxy: its headers are not believed
	fmt.Println(ratelimit.ClientIP(r, proxies))
	// Output:
	// 203.0.113.9
	// 198.51.100.1
}

func ExampleParseHeader() {
	h := http.Header{}
	h.Set("RateLimit-Policy", `"burst";q=10;w=1, "daily";q=1000;w=86400`)
	h.Set("RateLimit", `"burst";r=9;t=1, "daily";r=0;t=600`)
	now := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	q, ok := ratelimit.ParseHeader(h, now)
	fmt.Println(ok, q.Policy, q.Limit, q.Window, q.Remaining, q.Reset.Format(time.TimeOnly))
	fmt.Println("wait", q.Wait(now))
	// Output:
	// true daily 1000 24h0m0s 0 10:40:00
	// wait 10m0s
}

func ExampleParseResponse() {
	resp := &http.Response{StatusCode: 429, Header: http.Header{}}
	resp.Header.Set("X-RateLimit-Limit", "100")
	resp.Header.Set("X-RateLimit-Remaining", "0")
	resp.Header.Set("Retry-After", "7")
	if q, ok := ratelimit.ParseResponse(resp); ok {
		fmt.Println(q.Limit, q.Remaining, q.Wait(time.Now()))
	}
	// Output:
	// 100 0 7s
}

func ExampleDecision_SetHeaders() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerSecond(10), ratelimit.PerHour(1000).WithName("hourly")}))
	d, _ := lim.Allow(context.Background(), "k")
	h := http.Header{}
	d.SetHeaders(h)
	for _, k := range []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "Ratelimit-Policy", "Ratelimit"} {
		fmt.Printf("%s: %s\n", k, h.Get(k))
	}
	// Output:
	// X-Ratelimit-Limit: 10
	// X-Ratelimit-Remaining: 9
	// X-Ratelimit-Reset: 1736937001
	// Ratelimit-Policy: "10/1s";q=10;w=1, hourly;q=1000;w=3600
	// Ratelimit: "10/1s";r=9;t=1, hourly;r=999;t=4
}

func ExampleNewMemoryStore() {
	store := must(ratelimit.NewMemoryStore(
		ratelimit.WithMaxEntries(100_000),
		ratelimit.WithSweepInterval(30*time.Second)))

	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(60)}))
	d, _ := lim.Allow(context.Background(), "user-1")
	fmt.Println(d.Allowed, store.Len())
	// Output:
	// true 1
}

func ExampleDecision_Policies() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{
		ratelimit.PerSecond(5).WithName("burst"),
		ratelimit.PerHour(3).WithName("hourly"),
	}))

	var d ratelimit.Decision
	for i := 0; i < 4; i++ {
		d, _ = lim.Allow(context.Background(), "k")
	}
	fmt.Println("allowed:", d.Allowed, "retry after:", d.RetryAfter())
	for _, p := range d.Policies() {
		fmt.Printf("%s: allowed=%v remaining=%d\n", p.Name, p.Allowed, p.Remaining)
	}
	// Output:
	// allowed: false retry after: 20m0s
	// burst: allowed=true remaining=2
	// hourly: allowed=false remaining=0
}

func ExampleWithKeyPrefix() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	policies := []ratelimit.Policy{ratelimit.PerMinute(1)}
	search := must(ratelimit.New(store, policies, ratelimit.WithKeyPrefix("search:")))
	upload := must(ratelimit.New(store, policies, ratelimit.WithKeyPrefix("upload:")))
	ctx := context.Background()
	a, _ := search.Allow(ctx, "partner-42")
	b, _ := upload.Allow(ctx, "partner-42") // a separate bucket
	c, _ := search.Allow(ctx, "partner-42")
	fmt.Println(a.Allowed, b.Allowed, c.Allowed)
	// Output:
	// true true false
}
