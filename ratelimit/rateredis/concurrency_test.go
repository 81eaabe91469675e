package rateredis

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestConcurrencyOnRedis: 1,000 goroutines over two replicas sharing one
// limit of 10 in flight: never more, every slot back afterwards, also
// from handlers that panic.
func TestConcurrencyOnRedis(t *testing.T) {
	const limit, goroutines = 10, 1000
	c := testClient(t)
	prefix := testPrefix(t, c)
	var inFlight, most atomic.Int64
	var handlers []http.Handler
	for range 2 {
		s := mustNew(t, testClient(t), WithPrefix(prefix))
		lim, err := ratelimit.New(s, []ratelimit.Policy{{Name: "default", Limit: 1e6, Period: time.Second}},
			ratelimit.WithKey(func(*http.Request) string { return "acme" }),
			ratelimit.WithConcurrency(limit, time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(2 * time.Millisecond)
			inFlight.Add(-1)
			if r.URL.Path == "/panic" {
				panic("handler failed")
			}
		}))
		handlers = append(handlers, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() { _ = recover() }()
			h.ServeHTTP(w, r)
		}))
	}
	for _, path := range []string{"/", "/panic"} {
		var ok, limited atomic.Int64
		var wg sync.WaitGroup
		for i := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := httptest.NewRecorder()
				handlers[i%2].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				switch rec.Code {
				case 200:
					ok.Add(1)
				case 429:
					limited.Add(1)
				}
			}()
		}
		wg.Wait()
		if most.Load() > limit || ok.Load() == 0 || ok.Load()+limited.Load() != goroutines {
			t.Fatalf("%s: most in flight %d (limit %d), %d admitted, %d limited", path, most.Load(), limit, ok.Load(), limited.Load())
		}
		if keys := scanKeys(t, c, prefix); len(keys) != 0 {
			if n, _ := c.ZCard(context.Background(), keys[0]).Result(); n != 0 {
				t.Fatalf("%s: %d slots still held after every request returned", path, n)
			}
		}
	}
}

// TestConcurrencyLeaseExpires: the slots of a replica that crashed (taken,
// never released) come back when their lease ends.
func TestConcurrencyLeaseExpires(t *testing.T) {
	c := testClient(t)
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	ctx := context.Background()
	const key, lease = "concurrency:{acme}", 300 * time.Millisecond
	for i := range 2 {
		if _, n, ok, err := s.Acquire(ctx, key, 2, lease); err != nil || !ok || n != int64(i+1) {
			t.Fatalf("acquire %d: ok %v, in flight %d, err %v", i, ok, n, err)
		}
	}
	// The replica holding both slots crashes: no Release.
	if _, n, ok, err := s.Acquire(ctx, key, 2, lease); err != nil || ok || n != 2 {
		t.Fatalf("third acquire: ok %v, in flight %d, err %v; want refused", ok, n, err)
	}
	time.Sleep(lease + 100*time.Millisecond)
	token, n, ok, err := s.Acquire(ctx, key, 2, lease)
	if err != nil || !ok || n != 1 {
		t.Fatalf("after the lease: ok %v, in flight %d, err %v; want the slots back", ok, n, err)
	}
	if err := s.Release(ctx, key, token); err != nil {
		t.Fatal(err)
	}
}

// TestRenew: Renew extends a slot still held (past its first lease, and
// the key's TTL with it), is safe to repeat, and reports false without
// creating anything for a slot given back or whose lease ended.
func TestRenew(t *testing.T) {
	c := testClient(t)
	prefix := testPrefix(t, c)
	s := mustNew(t, c, WithPrefix(prefix))
	ctx := context.Background()
	const key, lease = "concurrency:{acme}", 300 * time.Millisecond
	rkey := prefix + key
	token, _, ok, err := s.Acquire(ctx, key, 1, lease)
	if err != nil || !ok {
		t.Fatalf("acquire: ok %v, err %v", ok, err)
	}
	for range 4 { // 4 × 100 ms: past the first lease
		time.Sleep(lease / 3)
		for range 2 { // a client's retry
			if held, err := s.Renew(ctx, key, token, lease); err != nil || !held {
				t.Fatalf("renew: held %v, err %v", held, err)
			}
		}
	}
	if n, err := c.ZCard(ctx, rkey).Result(); err != nil || n != 1 {
		t.Fatalf("%d slots (err %v) after renewals, want 1", n, err)
	}
	if ttl := c.PTTL(ctx, rkey).Val(); ttl < lease/2 {
		t.Errorf("key TTL %v after a renewal, want about %v", ttl, lease)
	}
	if _, _, ok, _ := s.Acquire(ctx, key, 1, lease); ok {
		t.Fatal("a second slot was given while the renewed one is held")
	}

	// Given back: a renewal creates nothing.
	if err := s.Release(ctx, key, token); err != nil {
		t.Fatal(err)
	}
	if held, err := s.Renew(ctx, key, token, lease); err != nil || held {
		t.Fatalf("renew after release: held %v, err %v; want false", held, err)
	}
	if n := c.ZCard(ctx, rkey).Val(); n != 0 {
		t.Fatalf("renew after release: %d slots, want 0", n)
	}

	// Lease ended: the renewal is refused and the slot is gone.
	token, _, ok, err = s.Acquire(ctx, key, 1, 50*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("acquire: ok %v, err %v", ok, err)
	}
	time.Sleep(100 * time.Millisecond)
	if held, err := s.Renew(ctx, key, token, lease); err != nil || held {
		t.Fatalf("renew after the lease ended: held %v, err %v; want false", held, err)
	}
	if n := c.ZCard(ctx, rkey).Val(); n != 0 {
		t.Fatalf("renew after the lease ended: %d slots, want 0", n)
	}
}

// renewCounter counts the renewals of a Store.
type renewCounter struct {
	*Store
	n atomic.Int64
}

func (r *renewCounter) Renew(ctx context.Context, key, token string, lease time.Duration) (bool, error) {
	r.n.Add(1)
	return r.Store.Renew(ctx, key, token, lease)
}

// TestConcurrencyLeaseRenewed: a handler that runs five times as long as
// the lease keeps its slot: a second request made three leases in is
// refused, and one made after the handler returned is admitted.
func TestConcurrencyLeaseRenewed(t *testing.T) {
	c := testClient(t)
	s := mustNew(t, c, WithPrefix(testPrefix(t, c)))
	const lease = 200 * time.Millisecond
	var lost atomic.Int64
	lim, err := ratelimit.New(s, []ratelimit.Policy{ratelimit.PerSecond(1000)},
		ratelimit.WithKey(func(*http.Request) string { return "acme" }),
		ratelimit.WithConcurrency(1, lease),
		ratelimit.WithObserver(func(ev ratelimit.Event) {
			if ev.Kind == ratelimit.EventLeaseLost || ev.Kind == ratelimit.EventStoreError {
				lost.Add(1)
				t.Logf("event %s: %v", ev.Kind, ev.Err)
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(5 * lease)
		}
	}))
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/slow", nil))
		done <- rec.Code
	}()
	time.Sleep(3 * lease)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fast", nil))
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("a second request three leases into a running one: %d, want 429 (the slot was not renewed)", rec.Code)
	}
	if code := <-done; code != http.StatusOK {
		t.Errorf("the slow request: %d", code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fast", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("a request after the slow one returned: %d, want 200", rec.Code)
	}
	if n := lost.Load(); n != 0 {
		t.Errorf("%d renewals failed", n)
	}
}

// TestConcurrencyRenewalStops: when the handler returns, or panics, its
// renewals stop: the slot is free at once and no renewal comes later.
func TestConcurrencyRenewalStops(t *testing.T) {
	c := testClient(t)
	prefix := testPrefix(t, c)
	s := &renewCounter{Store: mustNew(t, c, WithPrefix(prefix))}
	const lease = 150 * time.Millisecond
	lim, err := ratelimit.New(s, []ratelimit.Policy{ratelimit.PerSecond(1000)},
		ratelimit.WithKey(func(*http.Request) string { return "acme" }),
		ratelimit.WithConcurrency(1, lease))
	if err != nil {
		t.Fatal(err)
	}
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * lease)
		if r.URL.Path == "/panic" {
			panic("handler failed")
		}
	}))
	ctx := context.Background()
	const key = "concurrency:{acme}"
	for _, path := range []string{"/", "/panic"} {
		before := s.n.Load()
		func() {
			defer func() { _ = recover() }()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		}()
		renewals := s.n.Load() - before
		if renewals < 2 {
			t.Errorf("%s: %d renewals over three leases, want at least 2", path, renewals)
		}
		if n := c.ZCard(ctx, prefix+key).Val(); n != 0 {
			t.Errorf("%s: %d slots held right after the handler returned", path, n)
		}
		token, _, ok, err := s.Acquire(ctx, key, 1, lease)
		if err != nil || !ok {
			t.Fatalf("%s: the slot is not free right after the handler returned: ok %v, err %v", path, ok, err)
		}
		if err := s.Release(ctx, key, token); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * lease)
		if n := s.n.Load() - before; n != renewals {
			t.Errorf("%s: %d renewals after the handler returned", path, n-renewals)
		}
		if n := c.ZCard(ctx, prefix+key).Val(); n != 0 {
			t.Errorf("%s: %d slots held after the handler returned", path, n)
		}
	}
}

// TestConcurrencyRenewedUnderLoad: many callers over two replicas, with
// handlers that run longer than two leases, never have more requests in
// flight than the limit, and every slot is back at the end.
func TestConcurrencyRenewedUnderLoad(t *testing.T) {
	const limit, goroutines = 4, 40
	const lease, hold = 250 * time.Millisecond, 600 * time.Millisecond
	c := testClient(t)
	prefix := testPrefix(t, c)
	var inFlight, most, admitted, limited atomic.Int64
	var handlers []http.Handler
	for range 2 {
		s := mustNew(t, testClient(t), WithPrefix(prefix))
		lim, err := ratelimit.New(s, []ratelimit.Policy{ratelimit.PerSecond(1e6)},
			ratelimit.WithKey(func(*http.Request) string { return "acme" }),
			ratelimit.WithConcurrency(limit, lease),
			ratelimit.WithObserver(func(ev ratelimit.Event) {
				if ev.Kind != ratelimit.EventDenied {
					t.Logf("event %s: %v", ev.Kind, ev.Err)
				}
			}))
		if err != nil {
			t.Fatal(err)
		}
		handlers = append(handlers, lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(hold)
			inFlight.Add(-1)
		})))
	}
	deadline := time.Now().Add(3 * hold)
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				rec := httptest.NewRecorder()
				handlers[i%2].ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
				switch rec.Code {
				case http.StatusOK:
					admitted.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
					time.Sleep(20 * time.Millisecond)
				default:
					t.Errorf("status %d", rec.Code)
					return
				}
			}
		}()
	}
	wg.Wait()
	if most.Load() > limit || admitted.Load() < limit || limited.Load() == 0 {
		t.Fatalf("most in flight %d (limit %d), %d admitted, %d limited", most.Load(), limit, admitted.Load(), limited.Load())
	}
	if n := c.ZCard(context.Background(), prefix+"concurrency:{acme}").Val(); n != 0 {
		t.Fatalf("%d slots still held after every request returned", n)
	}
}

// TestRepeatedAcquireKeepsLongerLease: a client that sends an acquire
// again (go-redis retrying after a timeout) does not shorten the key's
// life below the longest lease in it, which another limiter sharing the
// key may hold.
func TestRepeatedAcquireKeepsLongerLease(t *testing.T) {
	c := testClient(t)
	ctx := context.Background()
	key := testPrefix(t, c) + "conc"
	acquire := func(token string, leaseMS int64) {
		t.Helper()
		v, err := acquireScript.Run(ctx, c, []string{key}, 10, leaseMS, token).Int64Slice()
		if err != nil || len(v) != 2 || v[0] != 1 {
			t.Fatalf("acquire %s: %v, %v", token, v, err)
		}
	}
	acquire("long", 10_000)
	acquire("short", 1_000)
	acquire("short", 1_000) // the retry
	if ttl := c.PTTL(ctx, key).Val(); ttl < 5*time.Second {
		t.Fatalf("key TTL %v after a repeated short acquire, want the 10s lease kept", ttl)
	}
	if n := c.ZCard(ctx, key).Val(); n != 2 {
		t.Fatalf("%d slots held, want 2 (the retry takes none)", n)
	}
}
