package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestTiers: each caller gets its tier's policies, chosen per request, a
// per-key override wins, unknown tiers get the default, and a bad tier is
// an error from New.
func TestTiers(t *testing.T) {
	overrides := map[string]string{"partner-vip": "pro"} // per-key override
	tierOf := func(r *http.Request, key string) string {
		if tier, ok := overrides[key]; ok {
			return tier
		}
		if r != nil {
			return r.Header.Get("X-Plan")
		}
		return ""
	}
	tiers := map[string][]ratelimit.Policy{
		"pro":  {ratelimit.PerMinute(5).WithName("default")},
		"team": {ratelimit.PerMinute(3).WithName("default"), ratelimit.PerHour(100).WithName("hourly")},
	}
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			lim := must(ratelimit.New(newStore(t, kind, newFakeClock()), []ratelimit.Policy{ratelimit.PerMinute(2).WithName("default")},
				ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("X-Key") }),
				ratelimit.WithTiers(tiers, tierOf)))
			calls := 0
			h := lim.Handler(okHandler(&calls))
			admitted := func(key, plan string) (n int, limit string) {
				for range 10 {
					r := httptest.NewRequest(http.MethodGet, "/", nil)
					r.Header.Set("X-Key", key)
					r.Header.Set("X-Plan", plan)
					rec := serve(h, r)
					if rec.Code == 200 {
						n++
					}
					limit = rec.Header().Get("X-RateLimit-Limit")
				}
				return n, limit
			}
			for _, tc := range []struct {
				key, plan string
				want      int
				limit     string
			}{
				{"a", "", 2, "2"},
				{"b", "pro", 5, "5"},
				{"c", "team", 3, "3"},
				{"d", "unknown", 2, "2"},
				{"partner-vip", "", 5, "5"},
			} {
				if n, limit := admitted(tc.key, tc.plan); n != tc.want || limit != tc.limit {
					t.Errorf("key %s plan %q: %d admitted, X-RateLimit-Limit %s; want %d, %s", tc.key, tc.plan, n, limit, tc.want, tc.limit)
				}
			}
			// AllowN has no request: the override still applies.
			if d, _ := lim.AllowN(context.Background(), "partner-vip", 0); d.Policy().Limit != 5 {
				t.Errorf("AllowN: limit %d, want the override's 5", d.Policy().Limit)
			}
		})
	}
	_, err := ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{ratelimit.PerMinute(2)},
		ratelimit.WithTiers(map[string][]ratelimit.Policy{"bad": {{Limit: 0, Period: 1}}}, tierOf))
	if err == nil {
		t.Error("a tier with an invalid policy was accepted")
	}
}
