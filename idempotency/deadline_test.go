package idempotency_test

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
)

// frozenStore is a store whose Claim does not answer until thawed, and
// ignores its context, like a network store whose server froze.
type frozenStore struct {
	*idempotency.MemoryStore
	thaw chan struct{}
}

func (s frozenStore) Claim(ctx context.Context, key, fp, owner string, lease time.Duration) (idempotency.Claim, error) {
	<-s.thaw
	return s.MemoryStore.Claim(ctx, key, fp, owner, lease)
}

// TestClaimDeadline: a claim that does not answer within the store timeout
// gets 503 with Retry-After, on time, and the handler does not run. When
// the frozen claim is finally granted, the key is released, so the retry
// runs rather than getting 409 for a whole lease.
func TestClaimDeadline(t *testing.T) {
	mem := newMemoryStore()
	defer mem.Close()
	store := frozenStore{mem, make(chan struct{})}
	var runs atomic.Int64
	ts := newTestServerStore(t, store, func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.WriteHeader(http.StatusCreated)
	}, idempotency.WithStoreTimeout(50*time.Millisecond), idempotency.WithStoreRetryAfter(3*time.Second))

	start := time.Now()
	w := ts.do(req{header: keyHeader("k")})
	elapsed := time.Since(start)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "3" {
		t.Fatalf("claim on a frozen store: %d, Retry-After %q; want 503, 3", w.Code, w.Header().Get("Retry-After"))
	}
	if elapsed > time.Second {
		t.Fatalf("answered after %v; want about the 50ms store timeout", elapsed)
	}
	if runs.Load() != 0 {
		t.Fatal("the handler ran although the claim did not answer")
	}

	close(store.thaw) // the frozen claim is granted now, after the request gave up
	waitFor(t, func() bool {
		c, err := mem.Claim(context.Background(), "probe", "fp", "o", time.Second)
		return err == nil && c.Outcome == idempotency.Acquired && mem.Len() == 1 // only the probe left
	})
	if w := ts.do(req{header: keyHeader("k")}); w.Code != http.StatusCreated || runs.Load() != 1 {
		t.Fatalf("retry after the store thawed: %d, %d runs; want 201, 1", w.Code, runs.Load())
	}
}

// TestClientGoneDuringClaim: a client that goes away while its claim is
// pending gets no 503 (nothing is written, nothing logged as a server
// error) and its handler does not run.
func TestClientGoneDuringClaim(t *testing.T) {
	mem := newMemoryStore()
	defer mem.Close()
	store := frozenStore{mem, make(chan struct{})}
	defer close(store.thaw)
	var runs atomic.Int64
	var ev events
	ts := newTestServerStore(t, store, func(w http.ResponseWriter, r *http.Request) { runs.Add(1) },
		idempotency.WithStoreTimeout(5*time.Second), idempotency.WithObserver(ev.observer()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	w := ts.do(req{header: keyHeader("k"), ctx: ctx})
	if w.Code >= 500 || w.Body.Len() != 0 || runs.Load() != 0 {
		t.Fatalf("client gone: %d %q, %d runs; want nothing written and no run", w.Code, w.Body, runs.Load())
	}
	if got := ev.events(); !slices.Equal(got, []string{"client-gone"}) {
		t.Fatalf("events %v, want [client-gone]", got)
	}
}
