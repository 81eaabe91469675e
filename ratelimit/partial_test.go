package ratelimit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestAllowUpTo: concurrent batches never get more than the quota in all,
// and the quota is used up.
func TestAllowUpTo(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			lim := must(ratelimit.New(newStore(t, kind, newFakeClock()),
				[]ratelimit.Policy{ratelimit.PerHour(100), ratelimit.PerHour(1000).WithName("b")}))
			var granted atomic.Int64
			var wg sync.WaitGroup
			for range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 5 {
						_, k, err := lim.AllowUpTo(context.Background(), "k", 7)
						if err != nil || k < 0 || k > 7 {
							t.Errorf("granted %d, err %v", k, err)
						}
						granted.Add(k)
					}
				}()
			}
			wg.Wait()
			if granted.Load() != 100 {
				t.Errorf("granted %d in all, want exactly the quota of 100", granted.Load())
			}
		})
	}
}
