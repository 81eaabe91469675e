package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

// limitedHello returns a handler answering "hello" behind a limiter of
// policies (on a memory store read on the example clock) and the
// middleware options, and a function that closes the store.
func limitedHello(policies []ratelimit.Policy, opts ...ratelimit.Option) (http.Handler, func() error) {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	lim := must(ratelimit.New(store, policies, opts...))
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	return lim.Handler(hello), store.Close
}

// request returns a GET of target from the peer 192.0.2.1, with the
// given header name and value pairs.
func request(target string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = "192.0.2.1:50000"
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

// brief describes a rate-limited response: status, remaining quota and
// Retry-After.
func brief(rec *httptest.ResponseRecorder) string {
	h := rec.Header()
	return fmt.Sprintf("%d remaining=%q retry-after=%q", rec.Code, h.Get("X-RateLimit-Remaining"), h.Get("Retry-After"))
}

// unreachableStore is a Store whose server cannot be reached.
type unreachableStore struct{}

func (unreachableStore) Take(context.Context, []ratelimit.Item, []ratelimit.Result) (int64, error) {
	return 0, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
}

func ExampleGCRA() {
	// 2 requests per second: one every 500ms, and up to 2 at once.
	it := ratelimit.Item{Key: "k", Interval: int64(500 * time.Millisecond), Tolerance: int64(time.Second), Cost: 1}
	var tat int64 // a new key
	for _, now := range []time.Duration{0, 0, 0, 500 * time.Millisecond} {
		allowed, newTAT := ratelimit.GCRA(int64(now), tat, it)
		if allowed {
			tat = newTAT // a Store writes the TAT only when the decision is admitted
		}
		fmt.Printf("at %v: allowed %t, TAT %v\n", now, allowed, time.Duration(tat))
	}
	// Output:
	// at 0s: allowed true, TAT 500ms
	// at 0s: allowed true, TAT 1s
	// at 0s: allowed false, TAT 1s
	// at 500ms: allowed true, TAT 1.5s
}

func ExampleDecision_SetHeaders_iETF() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(2).WithName("burst"), ratelimit.PerHour(100).WithName("hourly")}))
	var d ratelimit.Decision
	for range 3 {
		d, _ = lim.Allow(context.Background(), "partner-42")
	}
	h := http.Header{}
	d.SetHeaders(h)
	fmt.Println("RateLimit-Policy:", h.Get("RateLimit-Policy"))
	fmt.Println("RateLimit:", h.Get("RateLimit"))
	// Output:
	// RateLimit-Policy: burst;q=2;w=60, hourly;q=100;w=3600
	// RateLimit: burst;r=0;t=30, hourly;r=98;t=72
}

func ExampleNew_errors() {
	store, err := ratelimit.NewMemoryStore(ratelimit.WithMaxEntries(0))
	fmt.Println(store, err)
	store = must(ratelimit.NewMemoryStore())
	defer store.Close()
	_, err = ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(60), ratelimit.PerMinute(60)})
	fmt.Println(err)
	_, err = ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(60)}, ratelimit.WithShards(4), ratelimit.WithIPv6Prefix(0))
	fmt.Println(err)
	// Output:
	// <nil> ratelimit: WithMaxEntries: 0: want at least 1
	// ratelimit: invalid policy: duplicate name "60/1m"
	// ratelimit: WithShards is an option of NewMemoryStore
	// ratelimit: WithIPv6Prefix: 0 bits: want 1 to 128
}

func ExampleWithClock() {
	clock := newFakeClock()
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(clock.Now)))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(2)}))
	ctx := context.Background()
	for _, step := range []time.Duration{0, 0, 0, 30 * time.Second} {
		clock.Advance(step)
		d, _ := lim.Allow(ctx, "partner-42")
		fmt.Println(clock.Now().Format(time.TimeOnly), d.Allowed, d.Policy().Remaining)
	}
	// Output:
	// 10:30:00 true 1
	// 10:30:00 true 0
	// 10:30:00 false 0
	// 10:30:30 true 0
}

func ExampleWithMaxEntries() {
	clock := newFakeClock()
	// One shard, so that the output does not depend on where keys land.
	store := must(ratelimit.NewMemoryStore(ratelimit.WithMaxEntries(2), ratelimit.WithShards(1), ratelimit.WithClock(clock.Now)))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(10)}))
	ctx := context.Background()
	for _, caller := range []string{"a", "b", "c"} {
		d, _ := lim.Allow(ctx, caller)
		fmt.Println(caller, d.Allowed, store.Len())
	}
	clock.Advance(time.Minute) // a and b are idle again: their keys go to make room
	d, _ := lim.Allow(ctx, "c")
	fmt.Println("c", d.Allowed, store.Len())
	// Output:
	// a true 1
	// b true 2
	// c false 2
	// c true 1
}

func ExampleWithShards() {
	// A store for a small service: 4 shards (the default is 16 per CPU, at
	// least 64), holding at most 16 keys in all.
	store := must(ratelimit.NewMemoryStore(ratelimit.WithShards(4), ratelimit.WithMaxEntries(16), ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerSecond(10)}))
	d, _ := lim.Allow(context.Background(), "partner-42")
	fmt.Println(d.Allowed, store.Len())
	// Output: true 1
}

func ExampleWithSweepInterval() {
	clock := newFakeClock()
	manual := must(ratelimit.NewMemoryStore(ratelimit.WithSweepInterval(0), ratelimit.WithClock(clock.Now))) // no sweeper
	defer manual.Close()
	swept := must(ratelimit.NewMemoryStore(ratelimit.WithSweepInterval(time.Millisecond), ratelimit.WithShards(1), ratelimit.WithClock(clock.Now)))
	defer swept.Close()
	for _, store := range []*ratelimit.MemoryStore{manual, swept} {
		lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerSecond(10)}))
		_, _ = lim.Allow(context.Background(), "partner-42")
	}
	clock.Advance(time.Minute) // the key is idle
	for i := 0; i < 1000 && swept.Len() > 0; i++ {
		time.Sleep(time.Millisecond)
	}
	fmt.Println("no sweeper:", manual.Len(), "sweeper:", swept.Len())
	// Output:
	// no sweeper: 1 sweeper: 0
}

func ExampleWithCost() {
	h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(20)},
		ratelimit.WithCost(func(r *http.Request) int64 {
			if n := r.URL.Query().Get("count"); n != "" {
				var c int64
				_, _ = fmt.Sscan(n, &c)
				return c // a batch request weighs its number of items
			}
			return 1
		}))
	defer closeStore()
	for _, target := range []string{"/items", "/items/batch?count=15", "/items/batch?count=15", "/items/batch?count=50"} {
		fmt.Println(target, brief(serve(h, request(target))))
	}
	// Output:
	// /items 200 remaining="19" retry-after=""
	// /items/batch?count=15 200 remaining="4" retry-after=""
	// /items/batch?count=15 429 remaining="4" retry-after="33"
	// /items/batch?count=50 429 remaining="" retry-after=""
}

func ExampleWithErrorWriter() {
	// A 429 in another dialect: {"error":{"code":…,"message":…}}.
	ew := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		p := problem.From(err)
		if s := p.RetryAfterSeconds(); s > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(s))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(p.StatusCode())
		fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, p.Code, p.Detail)
	})
	h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(1)}, ratelimit.WithErrorWriter(ew))
	defer closeStore()
	serve(h, request("/"))
	rec := serve(h, request("/"))
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	// Output: 429 60 {"error":{"code":"rate-limit/exceeded","message":"Too many requests; retry after 60 seconds."}}
}

func ExampleWithFailOpen() {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	closed := must(ratelimit.New(unreachableStore{}, []ratelimit.Policy{ratelimit.PerMinute(60)})) // the default
	open := must(ratelimit.New(unreachableStore{}, []ratelimit.Policy{ratelimit.PerMinute(60)}, ratelimit.WithFailOpen()))
	rec := serve(closed.Handler(hello), request("/"))
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"), problem.Parse(rec.Result()).Code)
	rec = serve(open.Handler(hello), request("/"))
	fmt.Println(rec.Code, rec.Body.String(), brief(rec))
	// Output:
	// 503 1 internal/service-unavailable
	// 200 hello 200 remaining="" retry-after=""
}

func ExampleWithIETFHeaders() {
	for _, on := range []bool{true, false} {
		h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(10).WithName("default")}, ratelimit.WithIETFHeaders(on))
		rec := serve(h, request("/"))
		closeStore()
		fmt.Printf("%t: X-RateLimit-Limit=%q RateLimit=%q\n", on, rec.Header().Get("X-RateLimit-Limit"), rec.Header().Get("RateLimit"))
	}
	// Output:
	// true: X-RateLimit-Limit="10" RateLimit="default;r=9;t=6"
	// false: X-RateLimit-Limit="10" RateLimit=""
}

func ExampleWithIPv6Prefix() {
	// Two addresses of one /64, as one host may hold.
	from := func(addr string) *http.Request {
		r := request("/")
		r.RemoteAddr = addr
		return r
	}
	for _, bits := range []int{64, 128} {
		h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(1)}, ratelimit.WithIPv6Prefix(bits))
		first := serve(h, from("[2001:db8:1:2::a]:50000"))
		second := serve(h, from("[2001:db8:1:2::b]:50000"))
		closeStore()
		fmt.Printf("/%d: %d %d\n", bits, first.Code, second.Code)
	}
	// Output:
	// /64: 200 429
	// /128: 200 200
}

func ExampleWithKey() {
	h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(1)},
		ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Api-Key") }))
	defer closeStore()
	fmt.Println("key-1:", serve(h, request("/", "X-Api-Key", "key-1")).Code)
	fmt.Println("key-1:", serve(h, request("/", "X-Api-Key", "key-1")).Code)
	fmt.Println("key-2:", serve(h, request("/", "X-Api-Key", "key-2")).Code) // its own bucket
	fmt.Println("none: ", serve(h, request("/")).Code)                       // falls back to the client address
	fmt.Println("none: ", serve(h, request("/")).Code)
	// Output:
	// key-1: 200
	// key-1: 429
	// key-2: 200
	// none:  200
	// none:  429
}

func ExampleWithObserver() {
	lim := must(ratelimit.New(unreachableStore{}, []ratelimit.Policy{ratelimit.PerMinute(60)},
		ratelimit.WithFailOpen(),
		ratelimit.WithObserver(func(ev ratelimit.Event) {
			if ev.Kind == ratelimit.EventStoreError { // a real service logs and counts every kind
				fmt.Println("rate limiting skipped for", ev.Request.URL.Path+":", ev.Err)
			}
		})))
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })
	fmt.Println(serve(lim.Handler(hello), request("/orders")).Code)
	// Output:
	// rate limiting skipped for /orders: ratelimit: store: dial tcp 127.0.0.1:6379: connect: connection refused
	// 200
}

func ExampleWithSkip() {
	h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(1)},
		ratelimit.WithSkip(func(r *http.Request) bool { return r.URL.Path == "/healthz" }))
	defer closeStore()
	for _, path := range []string{"/healthz", "/healthz", "/orders", "/orders"} {
		fmt.Println(path, brief(serve(h, request(path))))
	}
	// Output:
	// /healthz 200 remaining="" retry-after=""
	// /healthz 200 remaining="" retry-after=""
	// /orders 200 remaining="0" retry-after=""
	// /orders 429 remaining="0" retry-after="60"
}

func ExampleWithTrustedProxies() {
	viaProxy := func(client string) *http.Request {
		r := request("/", "X-Forwarded-For", client)
		r.RemoteAddr = "10.0.0.7:41000" // the load balancer
		return r
	}
	for _, opts := range [][]ratelimit.Option{nil, {ratelimit.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8"))}} {
		h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(1)}, opts...)
		a := serve(h, viaProxy("203.0.113.9"))
		b := serve(h, viaProxy("198.51.100.4"))
		closeStore()
		fmt.Println(a.Code, b.Code)
	}
	// Output:
	// 200 429
	// 200 200
}

func ExamplePerSecond() {
	p := ratelimit.PerSecond(20)
	fmt.Println(p, p.Limit, p.Period, p.WithBurst(40))
	// Output: 20/1s 20 1s 20/1s;burst=40
}

func ExamplePerMinute() {
	p := ratelimit.PerMinute(100).WithName("default")
	fmt.Println(p, p.Name, p.Limit, p.Period)
	// Output: 100/1m default 100 1m0s
}

func ExamplePerHour() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerHour(1000)}))
	d, _ := lim.Allow(context.Background(), "partner-42")
	p := d.Policy()
	fmt.Println(p.Name, p.Remaining, p.Reset) // one request every 3.6s
	// Output: 1000/1h 999 3.6s
}

func ExampleWithFallback() {
	// The shared store is down; this replica, one of 3, falls back to its
	// memory store with a third of the limit.
	local := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer local.Close()
	lim := must(ratelimit.New(unreachableStore{}, []ratelimit.Policy{ratelimit.PerMinute(6).WithName("default")},
		ratelimit.WithFallback(local, 3),
		ratelimit.WithObserver(func(ev ratelimit.Event) {
			fmt.Print(ev.Kind, " ")
		})))
	for range 3 {
		d, err := lim.Allow(context.Background(), "partner-42")
		fmt.Println(d.Allowed, d.Policy().Limit, err)
	}
	// Output:
	// fallback true 2 <nil>
	// fallback true 2 <nil>
	// fallback false 2 <nil>
}

func ExampleWithLogger() {
	// Fallback decisions are logged at most once per 10 seconds.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // stable output
			}
			return a
		},
	}))
	local := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer local.Close()
	lim := must(ratelimit.New(unreachableStore{}, []ratelimit.Policy{ratelimit.PerMinute(6)},
		ratelimit.WithFallback(local, 3), ratelimit.WithLogger(logger)))
	for range 3 {
		_, _ = lim.Allow(context.Background(), "partner-42")
	}
	// Output:
	// level=WARN msg="ratelimit: store failed; deciding with the local fallback (each replica enforces its share of the limit)" error="ratelimit: store: dial tcp 127.0.0.1:6379: connect: connection refused" suppressed=0
}

func ExampleWithPartitionKey() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(10).WithName("default")},
		ratelimit.WithPartitionKey([]byte("a secret shared by the replicas"))))
	d, _ := lim.Allow(context.Background(), "partner-42")
	h := http.Header{}
	d.SetHeaders(h)
	fmt.Println(h.Get("RateLimit-Policy"))
	// Output: default;q=10;w=60;pk=:V3Al5YF4wdiuS41w:
}

func ExampleEvent_shadow() {
	// Watch a stricter limit before enforcing it.
	stricter := ratelimit.PerMinute(2).WithName("next-plan")
	stricter.Shadow = true
	h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(100).WithName("default"), stricter},
		ratelimit.WithObserver(func(ev ratelimit.Event) {
			if ev.Kind == ratelimit.EventShadowDenied {
				fmt.Println("would deny:", ev.Decision.Policy().Name)
			}
		}))
	defer closeStore()
	for range 3 {
		rec := serve(h, request("/"))
		fmt.Println(rec.Code, rec.Header().Get("RateLimit"))
	}
	// Output:
	// 200 default;r=99;t=1
	// 200 default;r=98;t=2
	// would deny: next-plan
	// 200 default;r=97;t=2
}

func ExampleLimiter_Reset() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerHour(1)}))
	ctx := context.Background()
	a, _ := lim.Allow(ctx, "partner-42")
	b, _ := lim.Allow(ctx, "partner-42")
	_ = lim.Reset(ctx, "partner-42") // e.g. after an upgrade to a bigger plan
	look, _ := lim.AllowN(ctx, "partner-42", 0)
	c, _ := lim.Allow(ctx, "partner-42")
	fmt.Println(a.Allowed, b.Allowed, look.Policy().Remaining, c.Allowed)
	// Output: true false 1 true
}

func ExampleMemoryStore_Reset() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	it := []ratelimit.Item{{Key: "hourly:{acme}", Interval: int64(time.Hour), Tolerance: int64(time.Hour), Cost: 1}}
	res := make([]ratelimit.Result, 1)
	_, _ = store.Take(context.Background(), it, res)
	fmt.Println(store.Len())
	_ = store.Reset(context.Background(), []string{"hourly:{acme}"})
	fmt.Println(store.Len())
	// Output:
	// 1
	// 0
}

func ExampleWithTiers() {
	plans := map[string]string{"partner-1": "pro"} // from the accounts database, say
	h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(1).WithName("default")},
		ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Api-Key") }),
		ratelimit.WithTiers(map[string][]ratelimit.Policy{
			"pro": {ratelimit.PerMinute(100).WithName("default")},
		}, func(r *http.Request, key string) string { return plans[key] }))
	defer closeStore()
	for _, key := range []string{"partner-1", "partner-1", "partner-2", "partner-2"} {
		rec := serve(h, request("/", "X-Api-Key", key))
		fmt.Println(key, rec.Code, rec.Header().Get("X-RateLimit-Limit"))
	}
	// Output:
	// partner-1 200 100
	// partner-1 200 100
	// partner-2 200 1
	// partner-2 429 1
}

func ExampleWithConcurrency() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(100).WithName("default")},
		ratelimit.WithKey(func(r *http.Request) string { return "partner-42" }),
		ratelimit.WithConcurrency(1, time.Minute)))
	inner := make(chan *httptest.ResponseRecorder)
	var h http.Handler
	h = lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			inner <- serve(h, request("/fast")) // a second request while this one runs
		}
	}))
	go serve(h, request("/slow"))
	rec := <-inner
	fmt.Println(rec.Code, rec.Header().Get("Retry-After"), rec.Header().Get("RateLimit"))
	// Output: 429 1 default;r=98;t=2, concurrency;r=0
}

func ExampleMemoryStore_Acquire() {
	store := must(ratelimit.NewMemoryStore())
	defer store.Close()
	ctx := context.Background()
	tok, n1, ok1, _ := store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	_, n2, ok2, _ := store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	_ = store.Release(ctx, "concurrency:{acme}", tok)
	_, n3, ok3, _ := store.Acquire(ctx, "concurrency:{acme}", 1, time.Minute)
	fmt.Println(ok1, n1, ok2, n2, ok3, n3)
	// Output: true 1 false 1 true 1
}

func ExampleMemoryStore_Release() {
	store := must(ratelimit.NewMemoryStore())
	defer store.Close()
	ctx := context.Background()
	first, _, _, _ := store.Acquire(ctx, "concurrency:{acme}", 2, time.Minute)
	_, _, _, _ = store.Acquire(ctx, "concurrency:{acme}", 2, time.Minute)
	// Releasing a slot twice gives back one slot, never the other request's.
	fmt.Println(store.Release(ctx, "concurrency:{acme}", first), store.Release(ctx, "concurrency:{acme}", first))
	_, inFlight, ok, _ := store.Acquire(ctx, "concurrency:{acme}", 2, time.Minute)
	_, _, again, _ := store.Acquire(ctx, "concurrency:{acme}", 2, time.Minute)
	fmt.Println(ok, inFlight, again)
	// Output:
	// <nil> <nil>
	// true 2 false
}

func ExampleLimiter_AllowUpTo() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	// 10 items per minute for a batch endpoint.
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(10).WithName("items")}))
	ctx := context.Background()
	for _, batch := range []int64{4, 8, 5} {
		d, granted, _ := lim.AllowUpTo(ctx, "partner-42", batch)
		fmt.Printf("asked %d, granted %d, retry the rest after %v\n", batch, granted, d.RetryAfter())
	}
	// Output:
	// asked 4, granted 4, retry the rest after 0s
	// asked 8, granted 6, retry the rest after 0s
	// asked 5, granted 0, retry the rest after 6s
}

func ExampleWithPartialGrants() {
	h, closeStore := limitedHello([]ratelimit.Policy{ratelimit.PerMinute(10).WithName("items")},
		ratelimit.WithCost(func(r *http.Request) int64 { return int64(len(r.URL.Query()["id"])) }),
		ratelimit.WithPartialGrants())
	defer closeStore()
	batch := "/items?id=1&id=2&id=3&id=4&id=5&id=6&id=7&id=8"
	for range 2 {
		rec := serve(h, request(batch))
		fmt.Println(rec.Code, rec.Header().Get("RateLimit"))
	}
	// Output:
	// 200 items;r=2;t=48
	// 200 items;r=0;t=60
}

func ExampleGranted() {
	store := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
	defer store.Close()
	lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(5)},
		ratelimit.WithCost(func(r *http.Request) int64 { return 8 }),
		ratelimit.WithPartialGrants()))
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := ratelimit.Granted(r.Context())
		fmt.Fprintf(w, "processed %d of 8 items", n)
	}))
	fmt.Println(serve(h, request("/batch")).Body.String())
	// Output: processed 5 of 8 items
}
