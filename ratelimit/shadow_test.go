package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestShadowPolicy: a shadow policy never refuses, is reported when it
// would, keeps its state as if enforced, and appears in no header; with
// the memory store's fast path and through the Store interface.
func TestShadowPolicy(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			newPolicy := ratelimit.PerMinute(2).WithName("new")
			newPolicy.Shadow = true
			var events []ratelimit.Event
			lim := must(ratelimit.New(newStore(t, kind, newFakeClock()),
				[]ratelimit.Policy{ratelimit.PerMinute(100).WithName("default"), newPolicy},
				ratelimit.WithObserver(func(ev ratelimit.Event) { events = append(events, ev) })))
			calls := 0
			h := lim.Handler(okHandler(&calls))
			for i := range 5 {
				rec := serve(h, httptest.NewRequest(http.MethodGet, "/", nil))
				if rec.Code != 200 {
					t.Fatalf("request %d: status %d", i+1, rec.Code)
				}
				for _, k := range []string{"RateLimit-Policy", "RateLimit"} {
					if v := rec.Header().Get(k); strings.Contains(v, "new") || !strings.HasPrefix(v, "default;") {
						t.Errorf("request %d: %s %q", i+1, k, v)
					}
				}
			}
			if calls != 5 || len(events) != 3 {
				t.Fatalf("handler ran %d times, %d events; want 5 and 3", calls, len(events))
			}
			for _, ev := range events {
				p := ev.Decision.Policy()
				if ev.Kind != ratelimit.EventShadowDenied || p.Name != "new" || p.Allowed || p.Remaining != 0 || ev.Request == nil {
					t.Errorf("event %+v, policy %+v", ev.Kind, p)
				}
			}
		})
	}
	// Only shadow policies: every request admitted, no headers.
	only := ratelimit.PerMinute(1)
	only.Shadow = true
	lim := must(ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{only}))
	for range 3 {
		d, err := lim.Allow(context.Background(), "k")
		h := http.Header{}
		d.SetHeaders(h)
		if !d.Allowed || err != nil || len(h) != 0 {
			t.Fatalf("shadow only: allowed %v, err %v, headers %v", d.Allowed, err, h)
		}
	}
}
