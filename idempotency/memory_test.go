package idempotency_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idemtest"
)

func TestMemoryStoreConformance(t *testing.T) {
	idemtest.Run(t, func(t *testing.T) idempotency.Store {
		s := newMemoryStore()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestMemoryStoreMiddlewareRace runs three middleware instances on one
// memory store with 200 concurrent identical requests.
func TestMemoryStoreMiddlewareRace(t *testing.T) {
	s := newMemoryStore()
	defer s.Close()
	idemtest.RunMiddlewareRace(t, s)
}

// fakeClock is a manual clock for the memory store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestMemoryStoreInjectedClock(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	s := newMemoryStore(idempotency.WithClock(clock.Now))
	defer s.Close()

	if c, _ := s.Claim(ctx, "k", "fp", "o1", 10*time.Second); c.Outcome != idempotency.Acquired {
		t.Fatalf("first claim: %v", c.Outcome)
	}
	clock.Advance(4 * time.Second)
	c, _ := s.Claim(ctx, "k", "fp", "o2", 10*time.Second)
	if c.Outcome != idempotency.InProgress || c.RetryAfter != 6*time.Second {
		t.Fatalf("claim at +4s = %v, RetryAfter %v; want in-progress, 6s", c.Outcome, c.RetryAfter)
	}
	clock.Advance(6 * time.Second)
	if c, _ := s.Claim(ctx, "k", "fp", "o3", 10*time.Second); c.Outcome != idempotency.Acquired {
		t.Fatalf("claim when the lease ran out: %v", c.Outcome)
	}
	if err := s.Complete(ctx, "k", "o3", []byte("r"), time.Hour); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour - time.Nanosecond)
	if c, _ := s.Claim(ctx, "k", "fp", "o4", time.Second); c.Outcome != idempotency.Completed {
		t.Fatalf("claim just before retention ends: %v", c.Outcome)
	}
	clock.Advance(time.Nanosecond)
	if c, _ := s.Claim(ctx, "k", "fp", "o4", time.Second); c.Outcome != idempotency.Acquired {
		t.Fatalf("claim when retention ends: %v", c.Outcome)
	}
}

// TestMemoryStoreFull: a store full of records in progress refuses new
// keys; completed records make room (the oldest first), in-progress ones
// never do.
func TestMemoryStoreFull(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts []idempotency.Option
		// fill is the number of keys that fit.
		fill int
	}{
		{"max entries", []idempotency.Option{idempotency.WithMaxEntries(3)}, 3},
		{"max bytes", []idempotency.Option{idempotency.WithMaxBytes(600)}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			s := newMemoryStore(append(tc.opts, idempotency.WithClock(clock.Now))...)
			defer s.Close()
			for i := range tc.fill {
				k := "k" + strconv.Itoa(i)
				if c, err := s.Claim(ctx, k, "fp", "o", time.Minute); err != nil || c.Outcome != idempotency.Acquired {
					t.Fatalf("claim %d: %v, %v", i, c.Outcome, err)
				}
			}
			_, err := s.Claim(ctx, "new", "fp", "o", time.Minute)
			if !errors.Is(err, idempotency.ErrStoreFull) {
				t.Fatalf("claim beyond the cap, all in progress: err = %v, want ErrStoreFull", err)
			}
			// Existing keys still answer: nothing in progress was evicted.
			for i := range tc.fill {
				if c, err := s.Claim(ctx, "k"+strconv.Itoa(i), "fp", "o2", time.Minute); err != nil || c.Outcome != idempotency.InProgress {
					t.Fatalf("existing key k%d while full: %v, %v", i, c.Outcome, err)
				}
			}
			if err := s.Complete(ctx, "k1", "o", nil, time.Hour); err != nil {
				t.Fatalf("Complete while full: %v", err)
			}
			if err := s.Complete(ctx, "k0", "o", nil, time.Hour); err != nil {
				t.Fatalf("Complete while full: %v", err)
			}
			// The first completed record (k1) makes room.
			if c, err := s.Claim(ctx, "new", "fp", "o", time.Minute); err != nil || c.Outcome != idempotency.Acquired {
				t.Fatalf("claim with a completed record to evict: %v, %v", c.Outcome, err)
			}
			if c, _ := s.Claim(ctx, "k0", "fp", "o3", time.Minute); c.Outcome != idempotency.Completed {
				t.Fatalf("k0, completed after k1: %v, want completed", c.Outcome)
			}
			if c, err := s.Claim(ctx, "k2", "fp", "o3", time.Minute); err != nil || c.Outcome != idempotency.InProgress {
				t.Fatalf("k2, in progress: %v, %v", c.Outcome, err)
			}
			if got := s.Len(); got != tc.fill {
				t.Fatalf("Len = %d, want %d", got, tc.fill)
			}
		})
	}
}

// TestMemoryStoreScopeShare: one scope that floods the store evicts only
// its own oldest answers and is never refused; another scope's records
// stay, and it can still claim. Without the share, the flood evicts them.
func TestMemoryStoreScopeShare(t *testing.T) {
	ctx := context.Background()
	const response = 300
	for _, tc := range []struct {
		name      string
		opts      []idempotency.Option
		keepOther bool
	}{
		{"default share", nil, true},
		{"share as large as the store", []idempotency.Option{idempotency.WithMaxScopeBytes(64 << 10)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newMemoryStore(append([]idempotency.Option{idempotency.WithMaxBytes(64 << 10)}, tc.opts...)...)
			defer s.Close()
			store := func(scope string, i int) error {
				k := scope + "/" + strconv.Itoa(i)
				c, err := s.Claim(ctx, k, "fp", "o", time.Minute)
				if err != nil {
					return err
				}
				if c.Outcome != idempotency.Acquired {
					t.Fatalf("%s: %v", k, c.Outcome)
				}
				return s.Complete(ctx, k, "o", make([]byte, response), time.Hour)
			}
			for i := range 10 {
				if err := store("quiet", i); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 10_000 { // far more than the store holds
				if err := store("flood", i); err != nil {
					t.Fatalf("flood %d refused: %v", i, err)
				}
			}
			kept := 0
			for i := range 10 {
				c, err := s.Claim(ctx, "quiet/"+strconv.Itoa(i), "fp", "o2", time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if c.Outcome == idempotency.Completed {
					kept++
				}
			}
			if (kept == 10) != tc.keepOther {
				t.Fatalf("quiet scope kept %d of 10 records; want all kept: %v", kept, tc.keepOther)
			}
			if err := store("quiet", 100); err != nil {
				t.Fatalf("quiet scope refused after the flood: %v", err)
			}
		})
	}
}

// TestMemoryStoreScopeFull: a scope whose share is all in progress is
// refused with ErrScopeFull; other scopes are not.
func TestMemoryStoreScopeFull(t *testing.T) {
	ctx := context.Background()
	s := newMemoryStore(idempotency.WithMaxBytes(1<<20), idempotency.WithMaxScopeBytes(1000))
	defer s.Close()
	var err error
	n := 0
	for ; err == nil && n < 100; n++ {
		_, err = s.Claim(ctx, "a/"+strconv.Itoa(n), "fp", "o", time.Minute)
	}
	if !errors.Is(err, idempotency.ErrScopeFull) || n > 6 {
		t.Fatalf("after %d claims in progress: %v, want ErrScopeFull within 6", n, err)
	}
	if c, err := s.Claim(ctx, "b/1", "fp", "o", time.Minute); err != nil || c.Outcome != idempotency.Acquired {
		t.Fatalf("other scope: %v, %v", c.Outcome, err)
	}
}

// TestMemoryStoreSteadyLoad: 10,000 keyed POSTs per second from 20
// callers, through the middleware, for twice the retention, into a store
// far smaller than rate × retention: no request is refused (no 503), the
// newest answers replay, the oldest made room.
func TestMemoryStoreSteadyLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 requests")
	}
	clock := newFakeClock()
	s := newMemoryStore(idempotency.WithMaxBytes(4<<20), idempotency.WithClock(clock.Now))
	defer s.Close()
	h := mustNew(s, idempotency.WithRetention(10*time.Second), idempotency.WithLease(time.Second))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"data":{"id":"ref_1","status":"received"}}`)
		}))
	const perSecond, seconds = 10_000, 20
	send := func(caller, key string) int {
		r := httptest.NewRequest(http.MethodPost, "/referrals", strings.NewReader(`{"a":1}`))
		r.Header.Set("Authorization", "Bearer "+caller)
		r.Header.Set("Idempotency-Key", key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	statuses := map[int]int{}
	for sec := range seconds {
		for i := range perSecond {
			statuses[send("caller-"+strconv.Itoa(i%20), strconv.Itoa(sec*perSecond+i))]++
		}
		clock.Advance(time.Second)
	}
	if statuses[http.StatusCreated] != perSecond*seconds {
		t.Fatalf("statuses %v, want %d × 201", statuses, perSecond*seconds)
	}
	last := seconds*perSecond - 1
	r := httptest.NewRequest(http.MethodPost, "/referrals", strings.NewReader(`{"a":1}`))
	r.Header.Set("Authorization", "Bearer caller-"+strconv.Itoa(last%20))
	r.Header.Set("Idempotency-Key", strconv.Itoa(last))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Header().Get(idempotency.ReplayedHeader) != "true" {
		t.Fatalf("newest key: %d, not replayed", w.Code)
	}
}

func TestMemoryStoreSweepAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := newMemoryStore(idempotency.WithSweepInterval(time.Second))
		defer s.Close() // idempotent; keeps the bubble clean if the test fails early
		for i := range 10 {
			k := "k" + strconv.Itoa(i)
			if _, err := s.Claim(ctx, k, "fp", "o", time.Duration(i+1)*time.Second); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Complete(ctx, "k9", "o", []byte("kept"), time.Hour); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5*time.Second + time.Millisecond)
		synctest.Wait()
		if got := s.Len(); got != 5 {
			t.Fatalf("Len after 5s = %d, want 5 (leases of 1–5s swept)", got)
		}
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := s.Len(); got != 1 {
			t.Fatalf("Len after 10s = %d, want 1 (the completed record)", got)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		// synctest.Test fails if the sweep goroutine were still running.
	})
}

func TestMemoryStoreRejectsNonPositiveDurations(t *testing.T) {
	ctx := context.Background()
	s := newMemoryStore()
	defer s.Close()
	if _, err := s.Claim(ctx, "k", "fp", "o", 0); err == nil {
		t.Fatal("Claim with zero lease: no error")
	}
	if _, err := s.Claim(ctx, "k", "fp", "o", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Extend(ctx, "k", "o", -time.Second); err == nil {
		t.Fatal("Extend with negative lease: no error")
	}
	if err := s.Complete(ctx, "k", "o", nil, 0); err == nil {
		t.Fatal("Complete with zero retention: no error")
	}
}

func TestMemoryStoreScopeFlood(t *testing.T) {
	s := newMemoryStore(idempotency.WithMaxScopeBytes(20 * 200))
	defer s.Close()
	idemtest.RunScopeFlood(t, s, 20)
}
