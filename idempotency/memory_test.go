package idempotency_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) idempotency.Store {
		s := idempotency.NewMemoryStore()
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// TestMemoryStoreMiddlewareRace runs three middleware instances on one
// memory store with 200 concurrent identical requests.
func TestMemoryStoreMiddlewareRace(t *testing.T) {
	s := idempotency.NewMemoryStore()
	defer s.Close()
	storetest.RunMiddlewareRace(t, s)
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
	s := idempotency.NewMemoryStore(idempotency.MemoryClock(clock.Now))
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

func TestMemoryStoreFull(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		opts []idempotency.MemoryOption
		// fill is the number of keys that fit.
		fill int
	}{
		{"max entries", []idempotency.MemoryOption{idempotency.MemoryMaxEntries(3)}, 3},
		{"max bytes", []idempotency.MemoryOption{idempotency.MemoryMaxBytes(400)}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			s := idempotency.NewMemoryStore(append(tc.opts, idempotency.MemoryClock(clock.Now))...)
			defer s.Close()
			for i := range tc.fill {
				k := "k" + strconv.Itoa(i)
				if c, err := s.Claim(ctx, k, "fp", "o", time.Minute); err != nil || c.Outcome != idempotency.Acquired {
					t.Fatalf("claim %d: %v, %v", i, c.Outcome, err)
				}
			}
			_, err := s.Claim(ctx, "new", "fp", "o", time.Minute)
			if !errors.Is(err, idempotency.ErrStoreFull) {
				t.Fatalf("claim beyond the cap: err = %v, want ErrStoreFull", err)
			}
			// Existing keys still answer: nothing was evicted.
			if c, err := s.Claim(ctx, "k0", "fp", "o2", time.Minute); err != nil || c.Outcome != idempotency.InProgress {
				t.Fatalf("existing key while full: %v, %v", c.Outcome, err)
			}
			if err := s.Complete(ctx, "k0", "o", []byte("done"), time.Hour); err != nil {
				t.Fatalf("Complete while full: %v", err)
			}
			// Once leases run out, the space is reused.
			clock.Advance(time.Minute)
			if c, err := s.Claim(ctx, "new", "fp", "o", time.Minute); err != nil || c.Outcome != idempotency.Acquired {
				t.Fatalf("claim after expiry: %v, %v", c.Outcome, err)
			}
			if c, _ := s.Claim(ctx, "k0", "fp", "o3", time.Minute); c.Outcome != idempotency.Completed {
				t.Fatalf("completed key after the sweep: %v", c.Outcome)
			}
		})
	}
}

func TestMemoryStoreSweepAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := idempotency.NewMemoryStore(idempotency.MemorySweepInterval(time.Second))
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
	s := idempotency.NewMemoryStore()
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
