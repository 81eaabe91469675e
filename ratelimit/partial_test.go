package ratelimit_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// TestPartialGrantsInHandler: a batch larger than the quota left runs with
// the part granted; a batch granted nothing gets a 429; without the option
// the batch is refused whole.
func TestPartialGrantsInHandler(t *testing.T) {
	for _, partial := range []bool{true, false} {
		opts := []ratelimit.Option{ratelimit.WithCost(func(r *http.Request) int64 {
			n, _ := strconv.ParseInt(r.URL.Query().Get("items"), 10, 64)
			return n
		})}
		if partial {
			opts = append(opts, ratelimit.WithPartialGrants())
		}
		lim := must(ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{ratelimit.PerHour(10)}, opts...))
		var got []string
		h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, ok := ratelimit.Granted(r.Context())
			got = append(got, fmt.Sprint(n, ok))
		}))
		var codes []int
		for _, items := range []string{"4", "8", "3"} {
			codes = append(codes, serve(h, httptest.NewRequest(http.MethodPost, "/batch?items="+items, nil)).Code)
		}
		want, wantGot := []int{200, 200, 429}, []string{"4 true", "6 true"}
		if !partial {
			want, wantGot = []int{200, 429, 200}, []string{"0 false", "0 false"}
		}
		if fmt.Sprint(codes) != fmt.Sprint(want) || fmt.Sprint(got) != fmt.Sprint(wantGot) {
			t.Errorf("partial=%v: statuses %v, granted %v; want %v, %v", partial, codes, got, want, wantGot)
		}
	}
}
