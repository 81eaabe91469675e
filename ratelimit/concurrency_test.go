package ratelimit_test

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

// TestConcurrencyLimit: 1,000 goroutines, at most 10 in flight per
// caller, never more; the others get a 429; every slot comes back, also
// from handlers that panic.
func TestConcurrencyLimit(t *testing.T) {
	const limit, goroutines = 10, 1000
	store := newMem(t, newFakeClock())
	lim := must(ratelimit.New(store, []ratelimit.Policy{{Name: "default", Limit: 1e6, Period: time.Second}},
		ratelimit.WithKey(func(*http.Request) string { return "acme" }),
		ratelimit.WithConcurrency(limit, time.Minute)))
	var inFlight, most atomic.Int64
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		inFlight.Add(-1)
		if r.URL.Path == "/panic" {
			panic("handler failed")
		}
	}))
	recovering := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { _ = recover() }()
		h.ServeHTTP(w, r)
	})
	for _, path := range []string{"/", "/panic"} {
		var ok, limited atomic.Int64
		var wg sync.WaitGroup
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := httptest.NewRecorder()
				recovering.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				switch rec.Code {
				case 200:
					ok.Add(1)
				case 429:
					limited.Add(1)
					if rec.Header().Get("Retry-After") != "1" {
						t.Errorf("429 without Retry-After 1: %v", rec.Header())
					}
				}
			}()
		}
		wg.Wait()
		if most.Load() > limit || ok.Load() == 0 || ok.Load()+limited.Load() != goroutines {
			t.Fatalf("%s: most in flight %d (limit %d), %d admitted, %d limited", path, most.Load(), limit, ok.Load(), limited.Load())
		}
		// Every slot is back: limit requests can be in flight at once.
		var tokens []string
		for range limit {
			tok, _, ok, _ := store.Acquire(context.Background(), "concurrency:{acme}", limit, time.Minute)
			if !ok {
				t.Fatalf("%s: a slot was not given back", path)
			}
			tokens = append(tokens, tok)
		}
		for _, tok := range tokens {
			_ = store.Release(context.Background(), "concurrency:{acme}", tok)
		}
	}
}

// TestConcurrencyHeaders: the IETF fields list the concurrency limit as a
// policy of concurrent requests.
func TestConcurrencyHeaders(t *testing.T) {
	lim := must(ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{ratelimit.PerMinute(10).WithName("default")},
		ratelimit.WithConcurrency(3, time.Minute)))
	var hdr http.Header
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hdr = w.Header().Clone() }))
	serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
	if got, want := hdr.Get("RateLimit-Policy"), `default;q=10;w=60, concurrency;q=3;qu="concurrent-requests"`; got != want {
		t.Errorf("RateLimit-Policy %q, want %q", got, want)
	}
	if got, want := hdr.Get("RateLimit"), `default;r=9;t=6, concurrency;r=2`; got != want {
		t.Errorf("RateLimit %q, want %q", got, want)
	}
	if _, err := ratelimit.New(failingStore{}, []ratelimit.Policy{ratelimit.PerMinute(1)}, ratelimit.WithConcurrency(1, time.Second)); err == nil {
		t.Error("a store without Acquire was accepted")
	}
}
