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
//
// A store with the methods ratelimit.WithConcurrency uses (Acquire and
// Release) is also checked for its slots: never more than the limit held,
// a release safe to repeat. One that also has Renew keeps its slots as
// leases, and is checked for leases that end, renewals that keep them and
// renewals that never bring back a slot given back.
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
		{"SlotsUpToLimit", slots(testSlotsUpToLimit)},
		{"SlotReleaseIsSafeToRepeat", slots(testReleaseTwice)},
		{"SlotsConcurrentExact", slots(testSlotsConcurrent)},
		{"LeaseRenewedOnlyWhileHeld", leases(testRenewHeldOnly)},
		{"LeaseEndsUnlessRenewed", leases(testLeaseEnds)},
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

// slotStore is what ratelimit.WithConcurrency needs of a store.
type slotStore interface {
	Acquire(ctx context.Context, key string, limit int64, lease time.Duration) (token string, inFlight int64, ok bool, err error)
	Release(ctx context.Context, key, token string) error
}

// leaseStore is a slotStore whose slots are leases, renewed while held.
type leaseStore interface {
	slotStore
	Renew(ctx context.Context, key, token string, lease time.Duration) (held bool, err error)
}

// slots runs fn for a store with slots, and skips the others.
func slots(fn func(*testing.T, slotStore, func(string) string)) func(*testing.T, ratelimit.Store, func(string) string) {
	return func(t *testing.T, s ratelimit.Store, key func(string) string) {
		ss, ok := s.(slotStore)
		if !ok {
			t.Skip("the store has no Acquire and Release: ratelimit.WithConcurrency cannot use it")
		}
		fn(t, ss, key)
	}
}

// leases runs fn for a store whose slots are leases, and skips the others.
func leases(fn func(*testing.T, leaseStore, func(string) string)) func(*testing.T, ratelimit.Store, func(string) string) {
	return func(t *testing.T, s ratelimit.Store, key func(string) string) {
		ls, ok := s.(leaseStore)
		if !ok {
			t.Skip("the store has no Renew: its slots are held until released")
		}
		fn(t, ls, key)
	}
}

func acquire(t *testing.T, s slotStore, key string, limit int64, lease time.Duration) (string, int64, bool) {
	t.Helper()
	tok, n, ok, err := s.Acquire(context.Background(), key, limit, lease)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return tok, n, ok
}

func release(t *testing.T, s slotStore, key, token string) {
	t.Helper()
	if err := s.Release(context.Background(), key, token); err != nil {
		t.Fatalf("Release: %v", err)
	}
}

// limit slots are taken, each reporting the slots in flight; one more is
// refused; a slot given back can be taken again.
func testSlotsUpToLimit(t *testing.T, s slotStore, key func(string) string) {
	k := key("slots")
	var tokens []string
	for i := int64(1); i <= 3; i++ {
		tok, n, ok := acquire(t, s, k, 3, time.Minute)
		if !ok || n != i {
			t.Fatalf("acquire %d of 3: ok %v, in flight %d", i, ok, n)
		}
		tokens = append(tokens, tok)
	}
	if _, n, ok := acquire(t, s, k, 3, time.Minute); ok || n != 3 {
		t.Fatalf("acquire over the limit: ok %v, in flight %d; want refused at 3", ok, n)
	}
	release(t, s, k, tokens[1])
	if _, n, ok := acquire(t, s, k, 3, time.Minute); !ok || n != 3 {
		t.Fatalf("acquire after a release: ok %v, in flight %d; want taken, 3", ok, n)
	}
	if _, _, ok := acquire(t, s, key("other"), 1, time.Minute); !ok {
		t.Fatal("another key's slots are not its own")
	}
}

// Releasing a slot twice gives back one slot: never another request's.
func testReleaseTwice(t *testing.T, s slotStore, key func(string) string) {
	k := key("twice")
	first, _, _ := acquire(t, s, k, 2, time.Minute)
	acquire(t, s, k, 2, time.Minute)
	release(t, s, k, first)
	release(t, s, k, first)
	if _, n, ok := acquire(t, s, k, 2, time.Minute); !ok || n != 2 {
		t.Fatalf("acquire after a repeated release: ok %v, in flight %d; want taken, 2", ok, n)
	}
	if _, n, ok := acquire(t, s, k, 2, time.Minute); ok {
		t.Fatalf("a repeated release gave back another request's slot: %d in flight at limit 2", n)
	}
}

// Many goroutines taking and giving back slots never hold more than the
// limit, and every slot comes back.
func testSlotsConcurrent(t *testing.T, s slotStore, key func(string) string) {
	const limit, goroutines, rounds = 5, 32, 20
	k := key("busy")
	var held, most atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				tok, _, ok, err := s.Acquire(context.Background(), k, limit, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					continue
				}
				n := held.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				held.Add(-1)
				if err := s.Release(context.Background(), k, tok); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if most.Load() > limit || most.Load() == 0 {
		t.Fatalf("at most %d slots held at once, limit %d", most.Load(), limit)
	}
	for i := range limit {
		if _, _, ok := acquire(t, s, k, limit, time.Minute); !ok {
			t.Fatalf("slot %d of %d was not given back", i+1, limit)
		}
	}
}

// Renew keeps a held slot and reports it held; after the release it
// reports false and brings nothing back.
func testRenewHeldOnly(t *testing.T, s leaseStore, key func(string) string) {
	ctx := context.Background()
	k := key("renew")
	tok, _, _ := acquire(t, s, k, 1, time.Minute)
	if held, err := s.Renew(ctx, k, tok, time.Minute); err != nil || !held {
		t.Fatalf("Renew of a held slot = %v, %v", held, err)
	}
	if held, err := s.Renew(ctx, k, tok, time.Minute); err != nil || !held {
		t.Fatalf("Renew repeated = %v, %v", held, err)
	}
	release(t, s, k, tok)
	if held, err := s.Renew(ctx, k, tok, time.Minute); err != nil || held {
		t.Fatalf("Renew after the release = %v, %v; want false", held, err)
	}
	if _, n, ok := acquire(t, s, k, 1, time.Minute); !ok || n != 1 {
		t.Fatalf("a renewal after the release brought the slot back: ok %v, in flight %d", ok, n)
	}
}

// A slot nobody releases comes back when its lease ends; one renewed in
// time does not.
func testLeaseEnds(t *testing.T, s leaseStore, key func(string) string) {
	ctx := context.Background()
	const lease = 300 * time.Millisecond
	crashed := key("crashed")
	acquire(t, s, crashed, 1, lease)
	kept := key("kept")
	tok, _, _ := acquire(t, s, kept, 1, lease)
	for range 3 {
		time.Sleep(lease / 3)
		if held, err := s.Renew(ctx, kept, tok, lease); err != nil || !held {
			t.Fatalf("Renew within the lease = %v, %v", held, err)
		}
	}
	// More than a lease after the first acquire.
	time.Sleep(lease / 3)
	if _, _, ok := acquire(t, s, crashed, 1, lease); !ok {
		t.Fatal("the slot of a holder that never released it did not come back when its lease ended")
	}
	if _, _, ok := acquire(t, s, kept, 1, lease); ok {
		t.Fatal("a slot renewed within its lease was taken by another request")
	}
}
