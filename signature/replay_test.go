package signature_test

import (
	"context"
	"fmt"
	"github.com/apikit-go/apikit/signature/internal/replaytest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
)

func TestMemoryStoreClaim(t *testing.T) {
	clk := &clock{t: vecTime}
	m := mustMemory(t, signature.WithClock(clk.Now), signature.WithSweepInterval(0))
	defer m.Close()
	ctx := context.Background()
	steps := []struct {
		name    string
		advance time.Duration
		id      string
		ttl     time.Duration
		want    bool
	}{
		{"first claim", 0, "a", time.Minute, true},
		{"second claim", 0, "a", time.Minute, false},
		{"other id", 0, "b", 2 * time.Minute, true},
		{"still held", 59 * time.Second, "a", time.Minute, false},
		{"expired", time.Second, "a", time.Minute, true},
		{"b still held", 30 * time.Second, "b", time.Minute, false},
		{"already expired until is not kept", 0, "c", -time.Second, true},
		{"c again", 0, "c", -time.Second, true},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		got, err := m.Reserve(ctx, st.id, tok(), clk.Now().Add(st.ttl))
		if err != nil || got != st.want {
			t.Fatalf("%s: Claim = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
	if n := m.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
	clk.Advance(time.Hour)
	if _, err := m.Reserve(ctx, "other", tok(), clk.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("Len after sweep = %d, want 0", n)
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	clk := &clock{t: vecTime}
	m := mustMemory(t, signature.WithClock(clk.Now), signature.WithMaxEntries(3), signature.WithSweepInterval(0))
	defer m.Close()
	ctx := context.Background()
	for i := range 5 {
		if ok, err := m.Reserve(ctx, fmt.Sprint("id", i), tok(), clk.Now().Add(time.Duration(i+1)*time.Minute)); !ok || err != nil {
			t.Fatalf("claim %d = %v, %v", i, ok, err)
		}
	}
	if n := m.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	// The entries closest to expiry (id0, id1) were dropped; the rest are
	// held. A held id's claim fails without changing anything.
	for i := 2; i < 5; i++ {
		if ok, _ := m.Reserve(ctx, fmt.Sprint("id", i), tok(), clk.Now().Add(time.Hour)); ok {
			t.Fatalf("id%d was dropped, want held", i)
		}
	}
	if ok, _ := m.Reserve(ctx, "id0", tok(), clk.Now().Add(time.Hour)); !ok {
		t.Fatal("id0 still held, want dropped first")
	}
	if n := m.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
}

func TestMemoryStoreConcurrent(t *testing.T) {
	m := mustMemory(t, signature.WithSweepInterval(time.Millisecond))
	defer m.Close()
	const goroutines, ids = 16, 200
	var wins [ids]atomic.Int32
	var wg sync.WaitGroup
	until := time.Now().Add(time.Hour)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				ok, err := m.Reserve(context.Background(), fmt.Sprint("msg_", i), tok(), until)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins[i].Add(1)
				}
				_ = m.Len()
			}
		}()
	}
	wg.Wait()
	for i := range wins {
		if n := wins[i].Load(); n != 1 {
			t.Fatalf("id %d claimed %d times, want exactly once", i, n)
		}
	}
}

func TestVerifierConcurrentReplay(t *testing.T) {
	// Many goroutines deliver the same signed message at once: exactly one
	// is accepted, the others are replays.
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection())
	var accepted, replayed atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := v.Verify(context.Background(), vectorHeader(vecSignature), []byte(vecPayload))
			switch {
			case err == nil:
				accepted.Add(1)
			case errorsIs(err, signature.ReplayedRequest):
				replayed.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 1 || replayed.Load() != 31 {
		t.Fatalf("accepted %d, replayed %d", accepted.Load(), replayed.Load())
	}
}

func TestMemoryStoreClose(t *testing.T) {
	m := mustMemory(t)
	for range 2 {
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := m.Reserve(context.Background(), "a", tok(), time.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("Claim after Close = %v, %v", ok, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Reserve(ctx, "b", tok(), time.Now().Add(time.Minute)); err == nil {
		t.Fatal("Claim with a cancelled context succeeded")
	}
}

func TestMemoryStoreConformance(t *testing.T) {
	replaytest.Run(t, func(t *testing.T) signature.ReplayStore { return mustMemory(t) })
}
