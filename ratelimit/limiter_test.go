package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

func newMem(t testing.TB, clk *fakeClock, opts ...ratelimit.Option) *ratelimit.MemoryStore {
	t.Helper()
	s, err := ratelimit.NewMemoryStore(append([]ratelimit.Option{ratelimit.WithClock(clk.Now), ratelimit.WithSweepInterval(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// generic is the memory store seen only through the Store interface (and
// the Reset method), as other stores are.
type generic struct{ m *ratelimit.MemoryStore }

func (g generic) Take(ctx context.Context, items []ratelimit.Item, results []ratelimit.Result) (int64, error) {
	return g.m.Take(ctx, items, results)
}

func (g generic) Reset(ctx context.Context, keys []string) error { return g.m.Reset(ctx, keys) }

// storeKinds are the two paths through the memory store: the Limiter's
// fast path, and the Store interface that every other store is used
// through.
var storeKinds = []string{"memory", "generic"}

func newStore(t testing.TB, kind string, clk *fakeClock) ratelimit.Store {
	m := newMem(t, clk)
	if kind == "generic" {
		return generic{m}
	}
	return m
}

func TestLimiterSequence(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			clk := newFakeClock()
			lim := must(ratelimit.New(newStore(t, kind, clk), []ratelimit.Policy{ratelimit.PerMinute(5)}))
			for i := int64(0); i < 5; i++ {
				d, err := lim.Allow(ctx, "alice")
				if err != nil || !d.Allowed {
					t.Fatalf("request %d: allowed=%v err=%v", i+1, d.Allowed, err)
				}
				if got, want := d.Policy().Remaining, 4-i; got != want {
					t.Errorf("request %d: remaining %d, want %d", i+1, got, want)
				}
				if got, want := clk.Now().Add(d.Policy().Reset), clk.Now().Add(time.Duration(i+1)*12*time.Second); !got.Equal(want) {
					t.Errorf("request %d: reset %v, want %v", i+1, got, want)
				}
				if d.Policy().Limit != 5 || d.RetryAfter() != 0 {
					t.Errorf("request %d: limit %d retry %v", i+1, d.Policy().Limit, d.RetryAfter())
				}
			}
			d, err := lim.Allow(ctx, "alice")
			if err != nil || d.Allowed {
				t.Fatalf("6th request: allowed=%v err=%v, want denied", d.Allowed, err)
			}
			if d.Policy().Remaining != 0 {
				t.Errorf("denied: remaining %d, want 0", d.Policy().Remaining)
			}
			if got := d.RetryAfter(); got != 12*time.Second {
				t.Errorf("denied: retry after %v, want 12s (one interval)", got)
			}
			if b, _ := lim.Allow(ctx, "bob"); !b.Allowed {
				t.Error("bob denied: keys are not independent")
			}
			clk.Advance(d.RetryAfter() - time.Nanosecond)
			if d, _ := lim.Allow(ctx, "alice"); d.Allowed {
				t.Error("admitted 1ns before RetryAfter")
			}
			clk.Advance(time.Nanosecond)
			if d, _ := lim.Allow(ctx, "alice"); !d.Allowed {
				t.Error("denied after waiting RetryAfter")
			}
			clk.Advance(time.Minute)
			for i := 0; i < 5; i++ {
				if d, _ := lim.Allow(ctx, "alice"); !d.Allowed {
					t.Fatalf("after a full period, request %d denied", i+1)
				}
			}
			if d, _ := lim.Allow(ctx, "alice"); d.Allowed {
				t.Error("after a full period, 6th request admitted")
			}
		})
	}
}

func TestLimiterCost(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		costs     []int64
		allowed   []bool
		remaining []int64
	}{
		{"fill exactly", []int64{4, 6}, []bool{true, true}, []int64{6, 0}},
		{"too big after some", []int64{7, 4, 3}, []bool{true, false, true}, []int64{3, 3, 0}},
		{"zero inspects", []int64{0, 3, 0}, []bool{true, true, true}, []int64{10, 7, 7}},
	}
	for _, kind := range storeKinds {
		for _, tc := range tests {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				clk := newFakeClock()
				lim := must(ratelimit.New(newStore(t, kind, clk), []ratelimit.Policy{ratelimit.PerSecond(10)}))
				for i, c := range tc.costs {
					d, err := lim.AllowN(ctx, "k", c)
					if err != nil {
						t.Fatal(err)
					}
					if d.Allowed != tc.allowed[i] || d.Policy().Remaining != tc.remaining[i] {
						t.Errorf("step %d (cost %d): allowed=%v remaining=%d, want %v %d",
							i, c, d.Allowed, d.Policy().Remaining, tc.allowed[i], tc.remaining[i])
					}
				}
			})
		}
	}
}

func TestLimiterCostErrors(t *testing.T) {
	clk := newFakeClock()
	lim := must(ratelimit.New(newMem(t, clk), []ratelimit.Policy{ratelimit.PerSecond(10), ratelimit.PerHour(1000).WithBurst(5)}))
	tests := []struct {
		name string
		cost int64
		is   error
	}{
		{"negative", -1, nil},
		{"over smallest burst", 6, ratelimit.ErrCostExceedsBurst},
		{"huge", 1 << 62, ratelimit.ErrCostExceedsBurst},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := lim.AllowN(context.Background(), "k", tc.cost)
			if err == nil || d.Allowed {
				t.Fatalf("allowed=%v err=%v, want an error", d.Allowed, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err %v, want %v", err, tc.is)
			}
		})
	}
}

func TestLimiterSeveralPolicies(t *testing.T) {
	ctx := context.Background()
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			clk := newFakeClock()
			// 3 per second, 5 per hour.
			lim := must(ratelimit.New(newStore(t, kind, clk), []ratelimit.Policy{
				ratelimit.PerSecond(3), ratelimit.PerHour(5).WithName("hourly"),
			}))

			for i := 0; i < 3; i++ {
				if d, _ := lim.Allow(ctx, "k"); !d.Allowed {
					t.Fatalf("request %d denied", i+1)
				}
			}
			d, _ := lim.Allow(ctx, "k")
			if d.Allowed {
				t.Fatal("4th request in one second admitted")
			}
			if p := d.Policy(); p.Name != "3/1s" || d.Policy().Remaining != 0 {
				t.Errorf("denying policy %q remaining %d, want 3/1s and 0", p.Name, d.Policy().Remaining)
			}
			// The denial consumed nothing of the hourly quota.
			if st := d.Policies()[1]; st.Remaining != 2 || !st.Allowed {
				t.Errorf("hourly after denial: %+v, want 2 remaining", st)
			}
			clk.Advance(time.Second)
			for i := 0; i < 2; i++ {
				d, _ := lim.Allow(ctx, "k")
				if !d.Allowed {
					t.Fatalf("second 2, request %d denied", i+1)
				}
				if d.Policy().Name != "hourly" {
					t.Errorf("most restrictive %q, want hourly", d.Policy().Name)
				}
			}
			d, _ = lim.Allow(ctx, "k")
			if d.Allowed || d.Policy().Name != "hourly" {
				t.Fatalf("6th request: allowed=%v by %q, want denied by hourly", d.Allowed, d.Policy().Name)
			}
			// The per-second policy had room, but nothing was consumed.
			if st := d.Policies()[0]; st.Remaining != 1 || !st.Allowed {
				t.Errorf("per-second after hourly denial: %+v", st)
			}
			if got, want := d.RetryAfter(), 12*time.Minute-time.Second; got != want {
				t.Errorf("retry after %v, want %v", got, want)
			}
		})
	}
}

func TestLimiterConcurrentExact(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			clk := newFakeClock()
			const n = 100
			lim := must(ratelimit.New(newStore(t, kind, clk), []ratelimit.Policy{ratelimit.PerHour(n), ratelimit.PerHour(2 * n).WithName("b")}))
			var admitted atomic.Int64
			var wg sync.WaitGroup
			for g := 0; g < 32; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 20; i++ {
						d, err := lim.Allow(context.Background(), "shared")
						if err != nil {
							t.Error(err)
							return
						}
						if d.Allowed {
							admitted.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			if got := admitted.Load(); got != n {
				t.Errorf("admitted %d of 640, want exactly %d", got, n)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	store := newMem(t, newFakeClock())
	tests := []struct {
		name     string
		policies []ratelimit.Policy
	}{
		{"none", nil},
		{"too many", []ratelimit.Policy{
			ratelimit.PerSecond(1).WithName("a"), ratelimit.PerSecond(1).WithName("b"),
			ratelimit.PerSecond(1).WithName("c"), ratelimit.PerSecond(1).WithName("d"),
			ratelimit.PerSecond(1).WithName("e")}},
		{"zero limit", []ratelimit.Policy{{Limit: 0, Period: time.Second}}},
		{"zero period", []ratelimit.Policy{{Limit: 1}}},
		{"negative burst", []ratelimit.Policy{{Limit: 1, Period: time.Second, Burst: -1}}},
		{"sub-nanosecond interval", []ratelimit.Policy{{Limit: 2e9, Period: time.Second}}},
		{"overflowing burst", []ratelimit.Policy{{Limit: 1, Period: time.Hour, Burst: 1 << 40}}},
		{"duplicate names", []ratelimit.Policy{ratelimit.PerSecond(1), ratelimit.PerSecond(1)}},
		{"colon in name", []ratelimit.Policy{ratelimit.PerSecond(1).WithName("a:b")}},
		{"quote in name", []ratelimit.Policy{ratelimit.PerSecond(1).WithName(`a"b`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ratelimit.New(store, tc.policies); err == nil {
				t.Error("New succeeded, want an error")
			}
		})
	}
	if _, err := ratelimit.New(nil, []ratelimit.Policy{ratelimit.PerSecond(1)}); err == nil {
		t.Error("New with a nil store succeeded")
	}
}

func TestKeyPrefixSeparates(t *testing.T) {
	clk := newFakeClock()
	store := newMem(t, clk)
	pol := []ratelimit.Policy{ratelimit.PerMinute(1)}
	a := must(ratelimit.New(store, pol, ratelimit.WithKeyPrefix("a:")))
	b := must(ratelimit.New(store, pol, ratelimit.WithKeyPrefix("b:")))
	a2 := must(ratelimit.New(store, pol, ratelimit.WithKeyPrefix("a:")))
	ctx := context.Background()
	if d, _ := a.Allow(ctx, "k"); !d.Allowed {
		t.Fatal("a denied")
	}
	if d, _ := b.Allow(ctx, "k"); !d.Allowed {
		t.Error("b shares a's bucket")
	}
	if d, _ := a2.Allow(ctx, "k"); d.Allowed {
		t.Error("a second limiter with a's prefix does not share its bucket")
	}
}

// failingStore fails every decision with err, or "connection refused".
type failingStore struct{ err error }

func (f failingStore) Take(context.Context, []ratelimit.Item, []ratelimit.Result) (int64, error) {
	if f.err != nil {
		return 0, f.err
	}
	return 0, fmt.Errorf("connection refused")
}

func TestLimiterStoreError(t *testing.T) {
	lim := must(ratelimit.New(failingStore{}, []ratelimit.Policy{ratelimit.PerSecond(1)}))
	d, err := lim.Allow(context.Background(), "k")
	if err == nil || d.Allowed {
		t.Fatalf("allowed=%v err=%v, want a denial with an error", d.Allowed, err)
	}
}
