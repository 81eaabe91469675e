package ratelimit_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// TestIETFPolicyField: RateLimit-Policy as draft-ietf-httpapi-ratelimit-
// headers writes it (its example: default;q=100;w=60), with periods under
// a second scaled to whole seconds, never misstated, and qu for a unit
// other than requests.
func TestIETFPolicyField(t *testing.T) {
	tests := []struct {
		name   string
		policy ratelimit.Policy
		want   string
	}{
		{"draft example", ratelimit.PerMinute(100).WithName("default"), `default;q=100;w=60`},
		{"unnamed: a string", ratelimit.PerMinute(100), `"100/1m";q=100;w=60`},
		{"sub-second period scaled", ratelimit.Policy{Name: "fast", Limit: 5, Period: 100 * time.Millisecond}, `fast;q=50;w=1`},
		{"quarter second", ratelimit.Policy{Name: "q", Limit: 3, Period: 250 * time.Millisecond}, `q;q=12;w=1`},
		{"bytes", ratelimit.Policy{Name: "upload", Limit: 1 << 20, Period: time.Minute, Unit: "content-bytes"}, `upload;q=1048576;qu="content-bytes";w=60`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := must(ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{tc.policy}))
			d, _ := lim.Allow(context.Background(), "k")
			h := http.Header{}
			d.SetHeaders(h)
			if got := h.Get("RateLimit-Policy"); got != tc.want {
				t.Errorf("RateLimit-Policy %q, want %q", got, tc.want)
			}
		})
	}
	// A period that is neither whole seconds nor a divisor of one second
	// cannot be written truthfully: refused, unless the IETF fields are off.
	odd := []ratelimit.Policy{{Limit: 3, Period: 1500 * time.Millisecond}}
	if _, err := ratelimit.New(newMem(t, newFakeClock()), odd); !errors.Is(err, ratelimit.ErrInvalidPolicy) {
		t.Errorf("1.5s period: err %v, want ErrInvalidPolicy", err)
	}
	if _, err := ratelimit.New(newMem(t, newFakeClock()), odd, ratelimit.WithIETFHeaders(false)); err != nil {
		t.Errorf("1.5s period without IETF fields: %v", err)
	}
	if _, err := ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{{Limit: 1, Period: time.Second, Unit: "bad unit"}}); !errors.Is(err, ratelimit.ErrInvalidPolicy) {
		t.Errorf("bad unit: err %v, want ErrInvalidPolicy", err)
	}
}

// TestIETFResetOnDenial: with two policies, the one that denies reports
// the instant Retry-After names; the other its whole quota's reset.
func TestIETFResetOnDenial(t *testing.T) {
	clk := newFakeClock()
	lim := must(ratelimit.New(newMem(t, clk), []ratelimit.Policy{
		ratelimit.PerMinute(3).WithName("minute"), ratelimit.PerHour(100).WithName("hour"),
	}))
	var d ratelimit.Decision
	for range 4 {
		d, _ = lim.Allow(context.Background(), "k")
	}
	h := http.Header{}
	d.SetHeaders(h)
	if d.Allowed || h.Get("Retry-After") != "20" || h.Get("RateLimit") != "minute;r=0;t=20, hour;r=97;t=108" {
		t.Errorf("allowed %v, Retry-After %q, RateLimit %q", d.Allowed, h.Get("Retry-After"), h.Get("RateLimit"))
	}
}

// TestIETFPartitionKey: pk is a digest of the caller key, the same for one
// caller on every replica with the same secret, different for another
// caller, and never the key itself.
func TestIETFPartitionKey(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	pk := func(store ratelimit.Store, key string) string {
		lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(10).WithName("default")}, ratelimit.WithPartitionKey(secret)))
		d, _ := lim.Allow(context.Background(), key)
		h := http.Header{}
		d.SetHeaders(h)
		return h.Get("RateLimit-Policy")
	}
	a1, a2 := pk(newMem(t, newFakeClock()), "partner-a"), pk(struct{ ratelimit.Store }{newMem(t, newFakeClock())}, "partner-a")
	b := pk(newMem(t, newFakeClock()), "partner-b")
	if a1 != a2 || a1 == b || !strings.HasPrefix(a1, "default;q=10;w=60;pk=:") || !strings.HasSuffix(a1, ":") || strings.Contains(a1, "partner") {
		t.Errorf("pk fields %q, %q, %q", a1, a2, b)
	}
	if _, err := ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{ratelimit.PerMinute(1)}, ratelimit.WithPartitionKey([]byte("short"))); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}
