package ratelimit_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

func BenchmarkLimiterAllow(b *testing.B) {
	for _, tc := range []struct {
		name     string
		policies []ratelimit.Policy
	}{
		{"one policy", []ratelimit.Policy{{Limit: 1e9, Period: time.Second}}},
		{"two policies", []ratelimit.Policy{{Limit: 1e9, Period: time.Second}, {Name: "b", Limit: 1e12, Period: time.Hour}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := must(ratelimit.NewMemoryStore())
			defer s.Close()
			lim := must(ratelimit.New(s, tc.policies))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if d, _ := lim.Allow(ctx, "partner-1"); !d.Allowed {
					b.Fatal("denied")
				}
			}
		})
	}
}

func BenchmarkTimeNow(b *testing.B) {
	for b.Loop() {
		_ = time.Now().UnixNano()
	}
}

// BenchmarkHeaders is the cost of both header families per request:
// X-RateLimit-* and the IETF RateLimit-Policy and RateLimit fields, for an
// admitted and a denied request, set on a header map reused as a server
// reuses nothing but its map buckets.
func BenchmarkHeaders(b *testing.B) {
	for _, tc := range []struct {
		name     string
		policies []ratelimit.Policy
		n        int // requests before the one measured
	}{
		{"one policy/allowed", []ratelimit.Policy{ratelimit.PerMinute(100)}, 0},
		{"one policy/denied", []ratelimit.Policy{ratelimit.PerMinute(100)}, 100},
		{"two policies/allowed", []ratelimit.Policy{ratelimit.PerSecond(10), ratelimit.PerHour(1000).WithName("hourly")}, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
			defer s.Close()
			lim := must(ratelimit.New(s, tc.policies))
			var d ratelimit.Decision
			for range tc.n + 1 {
				d, _ = lim.Allow(context.Background(), "partner-1")
			}
			h := http.Header{}
			b.ReportAllocs()
			for b.Loop() {
				clear(h)
				d.SetHeaders(h)
			}
			if len(h) < 3 {
				b.Fatalf("headers %v", h)
			}
		})
	}
}

// BenchmarkConcurrency is the cost of a concurrency slot taken and given
// back around a request (memory store), rate decision and headers included.
func BenchmarkConcurrency(b *testing.B) {
	s := must(ratelimit.NewMemoryStore())
	defer s.Close()
	for _, conc := range []bool{false, true} {
		opts := []ratelimit.Option{ratelimit.WithKey(func(*http.Request) string { return "partner-1" })}
		name := "rate only"
		if conc {
			opts = append(opts, ratelimit.WithConcurrency(1000, time.Minute))
			name = "rate and concurrency"
		}
		lim := must(ratelimit.New(s, []ratelimit.Policy{{Limit: 1e9, Period: time.Second}}, opts...))
		h := lim.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			w := &discard{h: http.Header{}}
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
			if w.status != 0 || w.h.Get("X-RateLimit-Remaining") == "" {
				b.Fatalf("the request was refused (%d) or not reported: %v", w.status, w.h)
			}
		})
	}
}

// discard is a ResponseWriter that keeps the headers and any status
// other than the implicit 200.
type discard struct {
	h      http.Header
	status int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int) {
	if code != http.StatusOK {
		d.status = code
	}
}
