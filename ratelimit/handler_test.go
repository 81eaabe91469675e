package ratelimit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

func okHandler(calls *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		w.WriteHeader(http.StatusOK)
	})
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestMiddlewareHeadersAnd429(t *testing.T) {
	clk := newFakeClock()
	lim := must(ratelimit.New(newMem(t, clk), []ratelimit.Policy{ratelimit.PerMinute(3).WithName("default")}))
	calls := 0
	h := lim.Handler(okHandler(&calls))
	req := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/v1/things", nil)
		r.RemoteAddr = "198.51.100.7:5555"
		return serve(h, r)
	}
	for i := 0; i < 3; i++ {
		rec := req()
		if rec.Code != 200 {
			t.Fatalf("request %d: status %d", i+1, rec.Code)
		}
		hd := rec.Header()
		wantReset := clk.Now().Add(time.Duration(i+1) * 20 * time.Second).Unix()
		checks := map[string]string{
			"X-RateLimit-Limit":     "3",
			"X-RateLimit-Remaining": strconv.Itoa(2 - i),
			"X-RateLimit-Reset":     strconv.FormatInt(wantReset, 10),
			"RateLimit-Policy":      `default;q=3;w=60`,
			"RateLimit":             `default;r=` + strconv.Itoa(2-i) + `;t=` + strconv.Itoa(20*(i+1)),
			"Retry-After":           "",
		}
		for k, want := range checks {
			if got := hd.Values(k); len(got) > 1 || hd.Get(k) != want {
				t.Errorf("request %d: %s = %q, want %q once", i+1, k, got, want)
			}
		}
	}
	rec := req()
	if rec.Code != http.StatusTooManyRequests || calls != 3 {
		t.Fatalf("4th: status %d, handler calls %d; want 429 and 3", rec.Code, calls)
	}
	// One story (draft-ietf-httpapi-ratelimit-headers: the reset of a
	// 429 references the instant Retry-After names): t, Retry-After and
	// X-RateLimit-Reset all say 20 seconds, not the 60 until the quota is
	// whole.
	if got, want := rec.Header().Get("RateLimit"), "default;r=0;t=20"; got != want {
		t.Errorf("429 RateLimit %q, want %q", got, want)
	}
	if got, want := rec.Header().Get("X-RateLimit-Reset"), strconv.FormatInt(clk.Now().Add(20*time.Second).Unix(), 10); got != want {
		t.Errorf("429 X-RateLimit-Reset %q, want %q", got, want)
	}
	if got := rec.Header().Get("Retry-After"); got != "20" {
		t.Errorf("Retry-After %q, want 20", got)
	}
	if got := rec.Header().Values("Retry-After"); len(got) != 1 {
		t.Errorf("Retry-After set %d times", len(got))
	}
	if got := rec.Header().Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("429 remaining %q", got)
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["code"] != "rate-limit/exceeded" || body["status"] != float64(429) {
		t.Errorf("body %v", body)
	}
	if p := problem.Parse(rec.Result()); p == nil || !p.Is(problem.RateLimitExceeded) || p.RetryAfter != 20*time.Second {
		t.Errorf("parsed problem %+v", p)
	}
	// Waiting exactly Retry-After admits.
	clk.Advance(20 * time.Second)
	if rec := req(); rec.Code != 200 {
		t.Errorf("after Retry-After: status %d", rec.Code)
	}
}

func TestMiddlewareRetryAfterRoundsUp(t *testing.T) {
	// 7 per 10s: interval 1.428…s, so Retry-After must round up to 2.
	clk := newFakeClock()
	lim := must(ratelimit.New(newMem(t, clk), []ratelimit.Policy{{Limit: 7, Period: 10 * time.Second}}, ratelimit.WithKey(func(*http.Request) string { return "p" })))
	calls := 0
	h := lim.Handler(okHandler(&calls))
	for round := 0; round < 20; round++ {
		var rec *httptest.ResponseRecorder
		for {
			rec = serve(h, httptest.NewRequest("GET", "/", nil))
			if rec.Code != 200 {
				break
			}
		}
		secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		if err != nil || secs < 1 {
			t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
		}
		clk.Advance(time.Duration(secs) * time.Second)
		if rec := serve(h, httptest.NewRequest("GET", "/", nil)); rec.Code != 200 {
			t.Fatalf("round %d: waited Retry-After %ds, still %d", round, secs, rec.Code)
		}
		clk.Advance(time.Duration(round) * 137 * time.Millisecond)
	}
}

func TestMiddlewareOptions(t *testing.T) {
	clk := newFakeClock()
	tests := []struct {
		name       string
		opts       []ratelimit.Option
		store      ratelimit.Store
		setup      func(r *http.Request)
		wantStatus []int
		check      func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{
			name:       "skip",
			opts:       []ratelimit.Option{ratelimit.WithSkip(func(r *http.Request) bool { return r.URL.Path == "/" })},
			wantStatus: []int{200, 200, 200},
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("X-RateLimit-Limit") != "" {
					t.Error("skipped request has headers")
				}
			},
		},
		{
			name:       "no IETF headers",
			opts:       []ratelimit.Option{ratelimit.WithIETFHeaders(false)},
			wantStatus: []int{200, 429},
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("RateLimit") != "" || rec.Header().Get("RateLimit-Policy") != "" {
					t.Error("IETF headers written")
				}
				if rec.Header().Get("X-RateLimit-Limit") != "1" {
					t.Error("X-RateLimit-Limit missing")
				}
			},
		},
		{
			name:       "cost over burst",
			opts:       []ratelimit.Option{ratelimit.WithCost(func(*http.Request) int64 { return 2 })},
			wantStatus: []int{429},
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("Retry-After") != "" {
					t.Error("a request that can never pass has Retry-After")
				}
			},
		},
		{
			name:       "fail closed",
			store:      failingStore{},
			wantStatus: []int{503},
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("Retry-After") != "1" {
					t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
				}
			},
		},
		{
			name:       "fail closed with the store's retry",
			store:      failingStore{problem.ServiceUnavailable.New("down").WithRetryAfter(2500 * time.Millisecond)},
			wantStatus: []int{503},
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Header().Get("Retry-After") != "3" {
					t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
				}
			},
		},
		{
			name:       "fail open",
			store:      failingStore{},
			opts:       []ratelimit.Option{ratelimit.WithFailOpen()},
			wantStatus: []int{200, 200},
		},
		{
			name:       "violated policies",
			wantStatus: []int{200, 429},
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Code != 429 {
					return
				}
				var body map[string]any
				_ = json.Unmarshal(rec.Body.Bytes(), &body)
				if body["code"] != "rate-limit/exceeded" && body["type"] != "about:blank" {
					t.Errorf("type %v", body["type"])
				}
				if v, _ := body["violated-policies"].([]any); len(v) != 1 || v[0] != "1/1h" {
					t.Errorf("violated-policies %v", body["violated-policies"])
				}
			},
		},
		{
			name: "error writer",
			opts: []ratelimit.Option{ratelimit.WithErrorWriter(problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
				w.WriteHeader(599)
			}))},
			wantStatus: []int{200, 599},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := tc.store
			if store == nil {
				store = newMem(t, clk)
			}
			quiet := ratelimit.WithErrorWriter(problem.Writer{Logger: slog.New(slog.DiscardHandler)})
			lim := must(ratelimit.New(store, []ratelimit.Policy{ratelimit.PerHour(1)}, append([]ratelimit.Option{quiet}, tc.opts...)...))
			calls := 0
			h := lim.Handler(okHandler(&calls))
			for i, want := range tc.wantStatus {
				rec := serve(h, httptest.NewRequest("GET", "/", nil))
				if rec.Code != want {
					t.Errorf("request %d: status %d, want %d", i+1, rec.Code, want)
				}
				if tc.check != nil {
					tc.check(t, rec)
				}
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		name   string
		remote string
		xff    []string
		fwd    []string
		want   string
	}{
		{"direct", "203.0.113.9:1234", nil, nil, "203.0.113.9"},
		{"untrusted peer ignores XFF", "203.0.113.9:1234", []string{"1.2.3.4"}, nil, "203.0.113.9"},
		{"trusted peer uses XFF", "10.0.0.1:80", []string{"1.2.3.4"}, nil, "1.2.3.4"},
		{"spoofed left entries ignored", "10.0.0.1:80", []string{"6.6.6.6, 1.2.3.4"}, nil, "1.2.3.4"},
		{"chain of proxies", "10.0.0.1:80", []string{"1.2.3.4, 10.1.1.1", "10.2.2.2"}, nil, "1.2.3.4"},
		{"all trusted", "10.0.0.1:80", []string{"10.3.3.3"}, nil, "10.3.3.3"},
		{"garbage stops at last trusted hop", "10.0.0.1:80", []string{"unknown"}, nil, "10.0.0.1"},
		{"forwarded", "10.0.0.1:80", []string{"9.9.9.9"}, []string{`for=192.0.2.60;proto=http;by=203.0.113.43`}, "192.0.2.60"},
		{"forwarded ipv6", "[2001:db8::1]:443", nil, []string{`for="[2001:db8:cafe::17]:4711", for=10.0.0.5`}, "2001:db8:cafe::17"},
		{"forwarded untrusted ipv6", "[2001:db8::1]:443", nil, []string{`for="[2a00::17]:4711"`}, "2a00::17"},
		{"mapped ipv4", "[::ffff:203.0.113.9]:1", nil, nil, "203.0.113.9"},
		{"bad remote addr", "pipe", nil, nil, "pipe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tc.fwd {
				r.Header.Add("Forwarded", v)
			}
			if got := ratelimit.ClientIP(r, trusted); got != tc.want {
				t.Errorf("ClientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMiddlewareIPv6Prefix(t *testing.T) {
	tests := []struct {
		name  string
		opts  []ratelimit.Option
		addrs []string
		want  []int
	}{
		{"same /64 shares a bucket", nil, []string{"[2001:db8:1:2::1]:1", "[2001:db8:1:2::ffff]:1", "[2001:db8:1:3::1]:1"}, []int{200, 429, 200}},
		{"full addresses", []ratelimit.Option{ratelimit.WithIPv6Prefix(128)}, []string{"[2001:db8:1:2::1]:1", "[2001:db8:1:2::ffff]:1"}, []int{200, 200}},
		{"ipv4 whole", nil, []string{"192.0.2.1:1", "192.0.2.2:1", "192.0.2.1:2"}, []int{200, 200, 429}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := must(ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{ratelimit.PerHour(1)}, tc.opts...))
			calls := 0
			h := lim.Handler(okHandler(&calls))
			for i, addr := range tc.addrs {
				r := httptest.NewRequest("GET", "/", nil)
				r.RemoteAddr = addr
				if rec := serve(h, r); rec.Code != tc.want[i] {
					t.Errorf("request %d from %s: %d, want %d", i+1, addr, rec.Code, tc.want[i])
				}
			}
		})
	}
}

func TestMiddlewareHeadersBeforeHandler(t *testing.T) {
	lim := must(ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{ratelimit.PerHour(5)}))
	var seen string
	h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = w.Header().Get("X-RateLimit-Remaining") + " " + w.Header().Get("RateLimit")
		w.Header().Set("X-RateLimit-Remaining", "overridden by the handler")
	}))
	rec := serve(h, httptest.NewRequest("GET", "/", nil))
	if seen != `4 "5/1h";r=4;t=720` {
		t.Errorf("the handler saw %q, want the headers already set", seen)
	}
	if got := rec.Header().Values("X-RateLimit-Remaining"); len(got) != 1 {
		t.Errorf("X-RateLimit-Remaining = %q, want one value", got)
	}
}

func TestMiddlewareKeyByProxy(t *testing.T) {
	clk := newFakeClock()
	lim := must(ratelimit.New(newMem(t, clk), []ratelimit.Policy{ratelimit.PerHour(1)}, ratelimit.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8"))))
	calls := 0
	h := lim.Handler(okHandler(&calls))
	for i, ip := range []string{"1.1.1.1", "2.2.2.2", "1.1.1.1"} {
		r := httptest.NewRequest("GET", "/", nil).WithContext(context.Background())
		r.RemoteAddr = "10.0.0.1:80"
		r.Header.Set("X-Forwarded-For", ip)
		want := []int{200, 200, 429}[i]
		if rec := serve(h, r); rec.Code != want {
			t.Errorf("request %d from %s: %d, want %d", i+1, ip, rec.Code, want)
		}
	}
}

// TestHandlerErrorWriterFromContext: with no WithErrorWriter, the 429 is
// written by the writer in the request's context (the envelope
// middleware puts the API's writer there), else as plain RFC 9457; an
// explicit option wins over both.
func TestHandlerErrorWriterFromContext(t *testing.T) {
	wr := envelope.New(envelope.Standard())
	withWriter := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(problem.ContextWithWriter(r.Context(), wr)))
		})
	}
	explicit := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(429)
		fmt.Fprint(w, "explicit")
	})
	tests := []struct {
		name      string
		opts      []ratelimit.Option
		inContext bool
		wantType  string
		wantBody  string
	}{
		{"context writer", nil, true, "application/json", `"success":false,"statusCode":429`},
		{"no writer", nil, false, "application/problem+json", `"code":"rate-limit/exceeded"`},
		{"explicit wins", []ratelimit.Option{ratelimit.WithErrorWriter(explicit)}, true, "text/plain", "explicit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := must(ratelimit.New(newMem(t, newFakeClock()), []ratelimit.Policy{ratelimit.PerHour(1)}, tc.opts...))
			calls := 0
			h := lim.Handler(okHandler(&calls))
			if tc.inContext {
				h = withWriter(h)
			}
			serve(h, httptest.NewRequest("POST", "/v1/things", nil))
			rec := serve(h, httptest.NewRequest("POST", "/v1/things", nil))
			if rec.Code != 429 || calls != 1 {
				t.Fatalf("status %d, handler ran %d times", rec.Code, calls)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q, want %q", ct, tc.wantType)
			}
			if !strings.Contains(rec.Body.String(), tc.wantBody) {
				t.Errorf("body %s, want it to contain %s", rec.Body, tc.wantBody)
			}
			if rec.Header().Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		})
	}
}
