package ratelimit_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

func item(key string, limit int64, period time.Duration, cost int64) ratelimit.Item {
	iv := int64(period) / limit
	return ratelimit.Item{Key: key, Interval: iv, Tolerance: limit * iv, Cost: cost}
}

func TestMemoryTakeAllOrNothing(t *testing.T) {
	clk := newFakeClock()
	s := newMem(t, clk)
	ctx := context.Background()
	now := clk.Now().UnixNano()
	a := item("a", 10, time.Second, 1) // interval 100ms
	b := item("b", 2, time.Second, 1)  // interval 500ms
	res := make([]ratelimit.Result, 2)
	for i := 0; i < 2; i++ {
		got, err := s.Take(ctx, []ratelimit.Item{a, b}, res)
		if err != nil || got != now || !res[0].Allowed || !res[1].Allowed {
			t.Fatalf("take %d: now %d err %v res %+v", i+1, got, err, res)
		}
	}
	if res[0].TAT != now+2*a.Interval || res[1].TAT != now+2*b.Interval {
		t.Errorf("TATs %+v", res)
	}
	// b is exhausted: the decision is denied, a's TAT is not advanced.
	if _, err := s.Take(ctx, []ratelimit.Item{a, b}, res); err != nil {
		t.Fatal(err)
	}
	if !res[0].Allowed || res[1].Allowed {
		t.Errorf("third take: %+v, want a alone allowing and b denying", res)
	}
	if res[0].TAT != now+2*a.Interval || res[1].TAT != now+2*b.Interval {
		t.Errorf("denied take changed TATs: %+v", res)
	}
	one := res[:1]
	if _, err := s.Take(ctx, []ratelimit.Item{{Key: "a", Interval: a.Interval, Tolerance: a.Tolerance}}, one); err != nil || one[0].TAT != now+2*a.Interval {
		t.Errorf("inspect a: %+v %v", one, err)
	}
	// The same key twice counts twice.
	res3 := make([]ratelimit.Result, 2)
	c := item("c", 3, time.Second, 2)
	if _, err := s.Take(ctx, []ratelimit.Item{c, c}, res3); err != nil || res3[1].Allowed {
		t.Errorf("same key twice with cost 2 of 3: %+v %v, want a denial", res3, err)
	}
	if _, err := s.Take(ctx, make([]ratelimit.Item, 17), make([]ratelimit.Result, 17)); err == nil {
		t.Error("17 items accepted")
	}
}

func TestMemoryEvictionIsInvisible(t *testing.T) {
	clk := newFakeClock()
	s := newMem(t, clk)
	lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerSecond(2)}))
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		lim.Allow(ctx, strconv.Itoa(i))
	}
	lim.Allow(ctx, "0")
	if s.Len() != 1000 {
		t.Fatalf("len %d", s.Len())
	}
	clk.Advance(600 * time.Millisecond) // "0" still has a TAT ahead (it made 2 requests)
	s.Sweep()
	if s.Len() != 1 {
		t.Errorf("after sweep: len %d, want 1", s.Len())
	}
	d, _ := lim.AllowN(ctx, "0", 0)
	if d.Policy().Remaining != 1 {
		t.Errorf("surviving key remaining %d, want 1", d.Policy().Remaining)
	}
	d, _ = lim.AllowN(ctx, "5", 0)
	if d.Policy().Remaining != 2 {
		t.Errorf("evicted key remaining %d, want 2 (a full quota, as before eviction)", d.Policy().Remaining)
	}
}

func TestMemoryCap(t *testing.T) {
	clk := newFakeClock()
	s := newMem(t, clk, ratelimit.WithShards(1), ratelimit.WithMaxEntries(10))
	lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerMinute(2)}))
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if d, _ := lim.Allow(ctx, strconv.Itoa(i)); !d.Allowed {
			t.Fatalf("key %d denied below the cap", i)
		}
	}
	d, _ := lim.Allow(ctx, "new")
	if d.Allowed || d.Policy().Remaining != 0 || d.RetryAfter() != 30*time.Second {
		t.Errorf("new key at the cap: %v, want denied as exhausted", d.String())
	}
	if d, _ := lim.Allow(ctx, "3"); !d.Allowed {
		t.Error("existing key denied at the cap")
	}
	if s.Len() != 10 {
		t.Errorf("len %d, want 10", s.Len())
	}
	clk.Advance(31 * time.Second) // keys 0-2 and 4-9 are idle now
	if d, _ := lim.Allow(ctx, "new"); !d.Allowed {
		t.Error("new key denied although idle keys could be evicted")
	}
	if s.Len() > 10 {
		t.Errorf("len %d above the cap", s.Len())
	}
}

// TestMemoryCapIsTotal: the cap holds for the store as a whole, whatever
// the shards: every new key is admitted up to the cap (not refused when
// its shard alone is full), none beyond it, also from many goroutines.
func TestMemoryCapIsTotal(t *testing.T) {
	const maxEntries, goroutines = 4800, 8
	clk := newFakeClock()
	s := newMem(t, clk, ratelimit.WithShards(256), ratelimit.WithMaxEntries(maxEntries))
	for _, policies := range [][]ratelimit.Policy{
		{ratelimit.PerMinute(2)},
		{ratelimit.PerMinute(2), ratelimit.PerHour(10).WithName("h")},
	} {
		clk.Advance(time.Hour) // start empty
		s.Sweep()
		lim := must(ratelimit.New(s, policies))
		per := maxEntries / len(policies) / goroutines
		var denied atomic.Int64
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per {
					if d, _ := lim.Allow(context.Background(), fmt.Sprintf("%d-%d", g, i)); !d.Allowed {
						denied.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if denied.Load() != 0 || s.Len() != maxEntries {
			t.Fatalf("%d policies: %d new keys denied below the cap; %d keys held, want %d", len(policies), denied.Load(), s.Len(), maxEntries)
		}
		if d, _ := lim.Allow(context.Background(), "one-more"); d.Allowed || s.Len() != maxEntries {
			t.Fatalf("%d policies: a key beyond the cap: allowed %v, %d keys held", len(policies), d.Allowed, s.Len())
		}
		clk.Advance(time.Hour) // every key idle: the store may be emptied
		if d, _ := lim.Allow(context.Background(), "after"); !d.Allowed {
			t.Fatalf("%d policies: new key denied although every key is idle", len(policies))
		}
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestMemoryBytesPerKeyAndRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100k keys")
	}
	clk := newFakeClock()
	const n = 100_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%06d", i)
	}
	before := heapAlloc()
	s := must(ratelimit.NewMemoryStore(ratelimit.WithClock(clk.Now), ratelimit.WithSweepInterval(0)))
	defer s.Close()
	lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerMinute(100)}))
	ctx := context.Background()
	for _, k := range keys {
		lim.Allow(ctx, k)
	}
	full := heapAlloc()
	perKey := float64(full-before) / n
	t.Logf("heap bytes per key: %.1f", perKey)
	if perKey > 64 {
		t.Errorf("heap bytes per key %.1f, want ≤ 64", perKey)
	}
	clk.Advance(time.Hour)
	s.Sweep()
	if s.Len() != 0 {
		t.Fatalf("len %d after sweep", s.Len())
	}
	after := heapAlloc()
	if after > before+(full-before)/4 {
		t.Errorf("heap after eviction %d bytes above start, want the maps released (full: %d)", after-before, full-before)
	}
	runtime.KeepAlive(keys)
}

func TestMemoryZeroAllocs(t *testing.T) {
	clk := newFakeClock()
	lim := must(ratelimit.New(newMem(t, clk), []ratelimit.Policy{ratelimit.PerSecond(10), ratelimit.PerHour(1000).WithName("h")}))
	ctx := context.Background()
	lim.Allow(ctx, "k")
	for name, key := range map[string]string{"allowed or denied": "k", "long key": string(make([]byte, 300))} {
		allocs := testing.AllocsPerRun(1000, func() {
			if _, err := lim.Allow(ctx, key); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Allow, want 0", name, allocs)
		}
	}
}

func TestMemoryCloseStopsSweeper(t *testing.T) {
	s := must(ratelimit.NewMemoryStore(ratelimit.WithSweepInterval(time.Millisecond)))
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); s.Close() }()
	}
	wg.Wait() // both return: the sweeper has exited
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerSecond(1)}))
	if d, err := lim.Allow(context.Background(), "k"); err != nil || !d.Allowed {
		t.Errorf("after Close: %v %v", d.Allowed, err)
	}
}

func TestMemoryParallelKeys(t *testing.T) {
	clk := newFakeClock()
	s := newMem(t, clk, ratelimit.WithMaxEntries(1000))
	lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerHour(5), ratelimit.PerSecond(5).WithName("s")}))
	var wg sync.WaitGroup
	counts := make([]int, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if d, _ := lim.Allow(context.Background(), "k"+strconv.Itoa(i%40)); d.Allowed {
					counts[g]++
				}
				if i%50 == 0 {
					s.Sweep()
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != 40*5 {
		t.Errorf("admitted %d, want %d (5 per key)", total, 200)
	}
}

func TestMemoryDefaultClockIsWallClock(t *testing.T) {
	s := must(ratelimit.NewMemoryStore())
	defer s.Close()
	lim := must(ratelimit.New(s, []ratelimit.Policy{ratelimit.PerMinute(1)}))
	before := time.Now()
	d, err := lim.Allow(context.Background(), "k")
	after := time.Now()
	if err != nil || !d.Allowed {
		t.Fatal(d.Allowed, err)
	}
	// The monotonic reading is anchored to the wall clock: the decision's
	// instant lies between two wall-clock readings (with a little slack
	// for the two clocks' different resolutions).
	if got := ratelimit.DecisionTime(&d); got.Before(before.Add(-time.Millisecond)) || got.After(after.Add(time.Millisecond)) {
		t.Errorf("decision time %v not within [%v, %v]", got, before, after)
	}
}
