package ratelimit_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestSetHeadersAllocs: both header families of one policy cost one
// allocation; long values (two policies with large limits) are still
// written whole.
func TestSetHeadersAllocs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policies []ratelimit.Policy
		allocs   float64
		want     string // the RateLimit field
	}{
		{"one policy", []ratelimit.Policy{{Limit: 1e9, Period: time.Second}}, 1,
			`"1000000000/1s";r=999999999;t=1`},
		{"two policies", []ratelimit.Policy{{Limit: 1e9, Period: time.Second}, {Name: "b", Limit: 1e12, Period: time.Hour}}, 2,
			`"1000000000/1s";r=999999999;t=1, b;r=999999999999;t=1`},
	} {
		s := must(ratelimit.NewMemoryStore(ratelimit.WithClock(exampleClock())))
		lim := must(ratelimit.New(s, tc.policies))
		d, err := lim.Allow(context.Background(), "partner-1")
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		n := testing.AllocsPerRun(100, func() {
			clear(h)
			d.SetHeaders(h)
		})
		if n > tc.allocs {
			t.Errorf("%s: %v allocations, want %v", tc.name, n, tc.allocs)
		}
		if got := h.Get("RateLimit"); got != tc.want {
			t.Errorf("%s: RateLimit %q, want %q", tc.name, got, tc.want)
		}
		if got := h.Get("X-RateLimit-Remaining"); got != "999999999" || !strings.HasPrefix(h.Get("X-RateLimit-Reset"), "17") {
			t.Errorf("%s: remaining %q reset %q", tc.name, got, h.Get("X-RateLimit-Reset"))
		}
	}
}
