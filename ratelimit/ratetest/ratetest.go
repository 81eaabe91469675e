// Package ratetest is the conformance suite every ratelimit.Store must
// pass. A store's own tests call [Run] with a constructor:
//
//	func TestConformance(t *testing.T) {
//		ratetest.Run(t, func(t *testing.T) ratelimit.Store {
//			s, err := mystore.New(…)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite uses hour-long periods, so it holds for stores on a real clock
// (such as Redis's), and keys unique to each run, so runs against a shared
// server do not collide.
package ratetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// Run runs the conformance suite against stores made by newStore (called
// once per subtest; the store is not closed by the suite).
func Run(t *testing.T, newStore func(t *testing.T) ratelimit.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s ratelimit.Store, key func(string) string)
	}{
		{"SequenceThenDeny", testSequence},
		{"DenyWritesNothing", testDenyWritesNothing},
		{"AllOrNothing", testAllOrNothing},
		{"CostAndInspect", testCost},
		{"IndependentKeys", testIndependentKeys},
		{"ConcurrentExact", testConcurrent},
	}
	run := randomID()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			key := func(k string) string { return "ratetest:" + run + ":" + tc.name + ":" + k }
			tc.fn(t, s, key)
		})
	}
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// perHour returns an item of limit requests per hour with burst limit.
func perHour(key string, limit, cost int64) ratelimit.Item {
	iv := int64(time.Hour) / limit
	return ratelimit.Item{Key: key, Interval: iv, Tolerance: limit * iv, Cost: cost}
}

// remaining is the number of cost-1 requests r leaves at now.
func remaining(now int64, it ratelimit.Item, r ratelimit.Result) int64 {
	return (now + it.Tolerance - max(r.TAT, now)) / it.Interval
}

func take(t *testing.T, s ratelimit.Store, items ...ratelimit.Item) (int64, []ratelimit.Result) {
	t.Helper()
	res := make([]ratelimit.Result, len(items))
	now, err := s.Take(context.Background(), items, res)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	if d := time.Since(time.Unix(0, now)); d > time.Hour || d < -time.Hour {
		t.Logf("store clock is %v away from this process's", d)
	}
	return now, res
}

func testSequence(t *testing.T, s ratelimit.Store, key func(string) string) {
	it := perHour(key("k"), 3, 1)
	var first int64
	for i := int64(1); i <= 3; i++ {
		now, res := take(t, s, it)
		if i == 1 {
			first = now
		}
		if !res[0].Allowed {
			t.Fatalf("request %d denied", i)
		}
		if want := first + i*it.Interval; res[0].TAT != want {
			t.Errorf("request %d: TAT %d, want first instant + %d intervals (%d)", i, res[0].TAT, i, want)
		}
		if got := remaining(now, it, res[0]); got != 3-i {
			t.Errorf("request %d: remaining %d, want %d", i, got, 3-i)
		}
	}
	now, res := take(t, s, it)
	if res[0].Allowed {
		t.Fatal("4th request admitted")
	}
	if res[0].TAT != first+3*it.Interval || remaining(now, it, res[0]) != 0 {
		t.Errorf("denied: TAT %d (want %d)", res[0].TAT, first+3*it.Interval)
	}
}

func testDenyWritesNothing(t *testing.T, s ratelimit.Store, key func(string) string) {
	it := perHour(key("k"), 5, 4)
	_, res := take(t, s, it)
	if !res[0].Allowed {
		t.Fatal("cost 4 of 5 denied")
	}
	tat := res[0].TAT
	for i := 0; i < 3; i++ {
		_, res = take(t, s, it)
		if res[0].Allowed || res[0].TAT != tat {
			t.Fatalf("denied request %d: %+v, want denied with TAT %d unchanged", i+1, res[0], tat)
		}
	}
	it.Cost = 1
	if _, res = take(t, s, it); !res[0].Allowed || res[0].TAT != tat+it.Interval {
		t.Errorf("cost 1 after denials: %+v, want admitted with TAT %d", res[0], tat+it.Interval)
	}
}

func testAllOrNothing(t *testing.T, s ratelimit.Store, key func(string) string) {
	a := perHour(key("a"), 10, 1)
	b := perHour(key("b"), 1, 1)
	_, res := take(t, s, a, b)
	if !res[0].Allowed || !res[1].Allowed {
		t.Fatalf("first decision: %+v", res)
	}
	tatA := res[0].TAT
	_, res = take(t, s, a, b)
	if !res[0].Allowed || res[1].Allowed {
		t.Fatalf("second decision: %+v, want a admitting alone and b denying", res)
	}
	if res[0].TAT != tatA {
		t.Errorf("a's TAT reported %d after a denied decision, want unchanged %d", res[0].TAT, tatA)
	}
	inspect := a
	inspect.Cost = 0
	if _, res = take(t, s, inspect); res[0].TAT != tatA {
		t.Errorf("a's stored TAT %d after a denied decision, want %d", res[0].TAT, tatA)
	}
}

func testCost(t *testing.T, s ratelimit.Store, key func(string) string) {
	it := perHour(key("k"), 10, 0)
	now, res := take(t, s, it)
	if !res[0].Allowed || res[0].TAT > now {
		t.Errorf("inspecting a new key: %+v at %d", res[0], now)
	}
	it.Cost = 7
	if _, res = take(t, s, it); !res[0].Allowed {
		t.Fatal("cost 7 of 10 denied")
	}
	it.Cost = 4
	if _, res = take(t, s, it); res[0].Allowed {
		t.Fatal("cost 4 with 3 left admitted")
	}
	it.Cost = 3
	if now, res = take(t, s, it); !res[0].Allowed || remaining(now, it, res[0]) != 0 {
		t.Fatalf("cost 3 with 3 left: %+v", res[0])
	}
}

func testIndependentKeys(t *testing.T, s ratelimit.Store, key func(string) string) {
	for _, k := range []string{"x", "y", "x:y", "{x}"} {
		it := perHour(key(k), 1, 1)
		if _, res := take(t, s, it); !res[0].Allowed {
			t.Errorf("key %q denied on first use", k)
		}
	}
}

func testConcurrent(t *testing.T, s ratelimit.Store, key func(string) string) {
	const limit = 50
	it := perHour(key("k"), limit, 1)
	other := perHour(key("other"), 2*limit, 1)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := make([]ratelimit.Result, 2)
			for i := 0; i < 8; i++ {
				if _, err := s.Take(context.Background(), []ratelimit.Item{it, other}, res); err != nil {
					t.Error(err)
					return
				}
				if res[0].Allowed && res[1].Allowed {
					admitted.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := admitted.Load(); got != limit {
		t.Errorf("admitted %d of 128 concurrent requests, want exactly %d", got, limit)
	}
	inspect := other
	inspect.Cost = 0
	now, res := take(t, s, inspect)
	if got := remaining(now, other, res[0]); got != limit {
		t.Errorf("other key has %d remaining, want %d: denied decisions consumed its quota", got, limit)
	}
}
