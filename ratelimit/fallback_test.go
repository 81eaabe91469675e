package ratelimit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// switchable fails while down is true, else decides with its memory store.
type switchable struct {
	down bool
	mem  *ratelimit.MemoryStore
}

func (s *switchable) Take(ctx context.Context, items []ratelimit.Item, results []ratelimit.Result) (int64, error) {
	if s.down {
		return 0, errors.New("connection refused")
	}
	return s.mem.Take(ctx, items, results)
}

// TestFallbackIsVisibleAndShared: while the store fails, the fallback
// decides with the replica's share of the limit, every such decision is an
// observer event, and the log gets one warning per 10 seconds however many
// decisions fell back; requests the store admitted before count against
// the share.
func TestFallbackIsVisibleAndShared(t *testing.T) {
	var logs bytes.Buffer

	clk := newFakeClock()
	shared := &switchable{mem: newMem(t, clk)}
	local := newMem(t, clk)
	var events []ratelimit.EventKind
	lim := must(ratelimit.New(shared, []ratelimit.Policy{ratelimit.PerHour(12)},
		ratelimit.WithFallback(local, 3), ratelimit.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		ratelimit.WithObserver(func(ev ratelimit.Event) { events = append(events, ev.Kind) })))
	ctx := context.Background()

	// 2 requests decided by the shared store: 2 of this replica's 4.
	for i := range 2 {
		if d, err := lim.Allow(ctx, "acme"); err != nil || !d.Allowed {
			t.Fatalf("shared request %d: %v %v", i, d.Allowed, err)
		}
	}
	shared.down = true
	var allowed []bool
	for range 4 {
		d, err := lim.Allow(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if got := d.Policy().Limit; got != 4 {
			t.Errorf("fallback decision describes limit %d, want the share 4", got)
		}
		allowed = append(allowed, d.Allowed)
	}
	if want := []bool{true, true, false, false}; !equal(allowed, want) {
		t.Errorf("fallback decisions %v, want %v (12/3 = 4, 2 already used)", allowed, want)
	}
	if len(events) != 4 || events[0] != ratelimit.EventFallback || events[3] != ratelimit.EventFallback {
		t.Errorf("events %v, want 4 fallbacks", events)
	}
	if n := strings.Count(logs.String(), "local fallback"); n != 1 {
		t.Errorf("%d log lines, want 1:\n%s", n, logs.String())
	}
	clk.Advance(11 * time.Second)
	_, _ = lim.Allow(ctx, "acme")
	if n := strings.Count(logs.String(), "local fallback"); n != 2 || !strings.Contains(logs.String(), "suppressed=3") {
		t.Errorf("after 11s: %d log lines, want 2, the second counting 3 suppressed:\n%s", n, logs.String())
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
