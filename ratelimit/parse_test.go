package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

func TestParseHeader(t *testing.T) {
	now := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string][]string
		want   ratelimit.Quota
		ok     bool
	}{
		{"none", nil, ratelimit.Quota{}, false},
		{"legacy", map[string][]string{
			"X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"42"}, "X-Ratelimit-Reset": {"1736937060"},
		}, ratelimit.Quota{Limit: 100, Remaining: 42, Reset: time.Unix(1736937060, 0)}, true},
		{"legacy with skewed server clock", map[string][]string{
			"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1736937360"},
			"Date": {"Wed, 15 Jan 2025 10:35:00 GMT"}, // server is 5 minutes ahead
		}, ratelimit.Quota{Remaining: 0, Reset: now.Add(time.Minute)}, true},
		{"ietf", map[string][]string{
			"Ratelimit-Policy": {`"burst";q=10;w=1, "daily";q=1000;w=86400`},
			"Ratelimit":        {`"burst";r=9;t=1, "daily";r=3;t=600`},
		}, ratelimit.Quota{Policy: "daily", Limit: 1000, Window: 24 * time.Hour, Remaining: 3, Reset: now.Add(10 * time.Minute)}, true},
		{"ietf token name and extra params", map[string][]string{
			"Ratelimit": {`default;r=5;t=2;pk=:QXBwLTk5OQ==:`},
		}, ratelimit.Quota{Policy: "default", Remaining: 5, Reset: now.Add(2 * time.Second)}, true},
		{"ietf preferred over legacy", map[string][]string{
			"Ratelimit": {`"a";r=1;t=1`}, "X-Ratelimit-Remaining": {"7"},
		}, ratelimit.Quota{Policy: "a", Remaining: 1, Reset: now.Add(time.Second)}, true},
		{"malformed ietf falls back", map[string][]string{
			"Ratelimit": {`"a;r=1`}, "X-Ratelimit-Remaining": {"7"},
		}, ratelimit.Quota{Remaining: 7}, true},
		{"retry after seconds", map[string][]string{
			"Retry-After": {"30"}, "X-Ratelimit-Remaining": {"0"},
		}, ratelimit.Quota{RetryAfter: 30 * time.Second}, true},
		{"retry after date", map[string][]string{
			"Retry-After": {"Wed, 15 Jan 2025 10:31:00 GMT"},
		}, ratelimit.Quota{RetryAfter: time.Minute}, true},
		{"earlier drafts, as envoy sends them", map[string][]string{
			"Ratelimit-Limit": {"100, 100;w=60"}, "Ratelimit-Remaining": {"41"}, "Ratelimit-Reset": {"25"},
		}, ratelimit.Quota{Limit: 100, Window: time.Minute, Remaining: 41, Reset: now.Add(25 * time.Second)}, true},
		{"earlier drafts, plain", map[string][]string{
			"Ratelimit-Limit": {"10"}, "Ratelimit-Remaining": {"0"}, "Ratelimit-Reset": {"3"},
		}, ratelimit.Quota{Limit: 10, Remaining: 0, Reset: now.Add(3 * time.Second)}, true},
		{"x-ratelimit preferred over the earlier drafts", map[string][]string{
			"Ratelimit-Remaining": {"9"}, "X-Ratelimit-Remaining": {"7"},
		}, ratelimit.Quota{Remaining: 7}, true},
		{"draft 07 quota named l", map[string][]string{
			"Ratelimit-Policy": {`default;l=100;w=10`}, "Ratelimit": {`default;r=50;t=5`},
		}, ratelimit.Quota{Policy: "default", Limit: 100, Window: 10 * time.Second, Remaining: 50, Reset: now.Add(5 * time.Second)}, true},
		{"garbage", map[string][]string{
			"X-Ratelimit-Limit": {"-1"}, "X-Ratelimit-Remaining": {"lots"}, "Retry-After": {"soon"},
		}, ratelimit.Quota{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.header {
				h[http.CanonicalHeaderKey(k)] = v
			}
			got, ok := ratelimit.ParseHeader(h, now)
			if ok != tc.ok || got.Policy != tc.want.Policy || got.Limit != tc.want.Limit || got.Window != tc.want.Window ||
				got.Remaining != tc.want.Remaining || !got.Reset.Equal(tc.want.Reset) || got.RetryAfter != tc.want.RetryAfter {
				t.Errorf("got %+v %v\nwant %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	clk := newFakeClock()
	store := newMem(t, clk)
	calls := 0
	for _, ietf := range []bool{true, false} {
		lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(3).WithName("m"), ratelimit.PerHour(100).WithName("h")},
			ratelimit.WithIETFHeaders(ietf), ratelimit.WithKey(func(*http.Request) string {
				if ietf {
					return "a"
				}
				return "b"
			})))
		h := lim.Handler(okHandler(&calls))
		for i := 0; i < 4; i++ {
			rec := serve(h, httptest.NewRequest("GET", "/", nil))
			q, ok := ratelimit.ParseHeader(rec.Header(), clk.Now())
			if !ok {
				t.Fatalf("ietf=%v: nothing parsed", ietf)
			}
			d, _ := lim.AllowN(context.Background(), map[bool]string{true: "a", false: "b"}[ietf], 0)
			if q.Remaining != d.Policy().Remaining || q.Limit != 3 {
				t.Errorf("ietf=%v request %d: parsed %+v, limiter remaining %d", ietf, i+1, q, d.Policy().Remaining)
			}
			if ietf && (q.Policy != "m" || q.Window != time.Minute) {
				t.Errorf("ietf policy %q window %v", q.Policy, q.Window)
			}
			// Admitted: the quota is whole again after 20s per request
			// made; denied: reset is when the request would be admitted,
			// the instant Retry-After names.
			want := clk.Now().Add(time.Duration(i+1) * 20 * time.Second)
			if i == 3 {
				want = clk.Now().Add(20 * time.Second)
			}
			if !q.Reset.Equal(want) {
				t.Errorf("ietf=%v request %d: reset %v, want %v", ietf, i+1, q.Reset, want)
			}
			if i == 3 && (q.RetryAfter != 20*time.Second || q.Wait(clk.Now()) != 20*time.Second) {
				t.Errorf("ietf=%v: retry after %v wait %v", ietf, q.RetryAfter, q.Wait(clk.Now()))
			}
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(`"burst";q=10;w=1, "daily";q=1000;w=86400`, `"burst";r=9;t=1, "daily";r=3;t=600`, "100", "42", "1736937060", "30")
	f.Add(`default;q=1`, `default;r=5;t=2;pk=:QXBwLTk5OQ==:`, "", "", "", "Wed, 15 Jan 2025 10:31:00 GMT")
	f.Add(`"a\"b";q=1`, `"a\"b";r=0`, "x", "-1", "99999999999999999999", "-5")
	now := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, pol, rl, limit, remaining, reset, retry string) {
		h := http.Header{}
		h.Set("RateLimit-Policy", pol)
		h.Set("RateLimit", rl)
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		h.Set("Retry-After", retry)
		q, ok := ratelimit.ParseHeader(h, now)
		if q.Limit < 0 || q.Remaining < 0 || q.RetryAfter < 0 || q.Window < 0 {
			t.Fatalf("negative value: %+v", q)
		}
		if !ok && q != (ratelimit.Quota{}) {
			t.Fatalf("not ok but %+v", q)
		}
		if q.Wait(now) < 0 {
			t.Fatalf("negative wait %v", q.Wait(now))
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{"100/1m", "10/s", "5000/1h", "20/1s;burst=40", "7/3d", "1/0s", "x/y", "9223372036854775807/1ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ratelimit.ParsePolicy(s)
		if err != nil {
			return
		}
		if p.Limit < 1 || p.Period <= 0 || p.Burst < 0 {
			t.Fatalf("%q parsed to invalid %+v", s, p)
		}
		back, err := ratelimit.ParsePolicy(p.String())
		if err != nil || back != p {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, p, p.String(), back, err)
		}
	})
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:80", "1.2.3.4, 10.1.1.1", `for="[2001:db8:cafe::17]:4711", for=10.0.0.5`)
	f.Add("[2001:db8::1]:443", "unknown", `for=_hidden;proto="a,b"`)
	f.Fuzz(func(t *testing.T, remote, xff, fwd string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		if fwd != "" {
			r.Header.Set("Forwarded", fwd)
		}
		got := ratelimit.ClientIP(r, nil)
		// Without trusted proxies the headers never matter.
		r.Header.Del("X-Forwarded-For")
		r.Header.Del("Forwarded")
		if want := ratelimit.ClientIP(r, nil); got != want {
			t.Fatalf("untrusted headers changed the key: %q vs %q", got, want)
		}
	})
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		in   string
		want ratelimit.Policy
		err  bool
	}{
		{in: "100/1m", want: ratelimit.Policy{Limit: 100, Period: time.Minute}},
		{in: "10/s", want: ratelimit.Policy{Limit: 10, Period: time.Second}},
		{in: " 5000 / 1h ", want: ratelimit.Policy{Limit: 5000, Period: time.Hour}},
		{in: "20/1s;burst=40", want: ratelimit.Policy{Limit: 20, Period: time.Second, Burst: 40}},
		{in: "7/3d", want: ratelimit.Policy{Limit: 7, Period: 72 * time.Hour}},
		{in: "100", err: true},
		{in: "0/1s", err: true},
		{in: "-1/1s", err: true},
		{in: "1/0s", err: true},
		{in: "1/-1s", err: true},
		{in: "2000000000/1s", err: true},
		{in: "1/1s;burst=0", err: true},
		{in: "1/1s;bursts=2", err: true},
		{in: "1/1h;burst=9223372036854775807", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ratelimit.ParsePolicy(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("ParsePolicy(%q) = %+v, %v", tc.in, got, err)
			}
		})
	}
}

// ParseHeader runs on every answer a client reads: it must not allocate
// for the fields apikit writes (a quoted policy name with escapes is the
// one exception).
func TestParseHeaderAllocatesNothing(t *testing.T) {
	now := time.Unix(1_767_225_600, 0)
	for name, h := range map[string]http.Header{
		"X-RateLimit": {"X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"7"}, "X-Ratelimit-Reset": {"1767225660"},
			"Date": {"Thu, 01 Jan 2026 00:00:00 GMT"}, "Retry-After": {"30"}},
		"IETF":   {"Ratelimit": {`"burst";r=7;t=3, "daily";r=70;t=60`}, "Ratelimit-Policy": {`"burst";q=100;w=60, "daily";q=1000;w=86400`}},
		"drafts": {"Ratelimit-Limit": {"100, 100;w=60"}, "Ratelimit-Remaining": {"7"}, "Ratelimit-Reset": {"3"}},
	} {
		if _, ok := ratelimit.ParseHeader(h, now); !ok {
			t.Fatalf("%s: not understood", name)
		}
		if n := testing.AllocsPerRun(100, func() { ratelimit.ParseHeader(h, now) }); n != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, n)
		}
	}
}
