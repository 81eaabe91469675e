package ratelimit_test

import (
	"context"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestReset: Reset gives a key a whole quota under every policy, leaves
// other keys alone, and fails on a store that cannot reset.
func TestReset(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			lim := must(ratelimit.New(newStore(t, kind, newFakeClock()),
				[]ratelimit.Policy{ratelimit.PerHour(2), ratelimit.PerMinute(10).WithName("m")}))
			ctx := context.Background()
			for range 3 {
				_, _ = lim.Allow(ctx, "a")
				_, _ = lim.Allow(ctx, "b")
			}
			if err := lim.Reset(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			a, _ := lim.AllowN(ctx, "a", 0) // a read-only look
			b, _ := lim.AllowN(ctx, "b", 0)
			if got := a.Policies(); got[0].Remaining != 2 || got[1].Remaining != 10 {
				t.Errorf("after reset: %+v", got)
			}
			if b.Policy().Remaining != 0 {
				t.Errorf("another key was reset: %v", b.String())
			}
		})
	}
	lim := must(ratelimit.New(failingStore{}, []ratelimit.Policy{ratelimit.PerHour(2)}))
	if err := lim.Reset(context.Background(), "a"); err == nil {
		t.Error("a store without Reset: no error")
	}
}
