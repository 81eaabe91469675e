package rateredis

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

// replica is one service instance: its own client, store, limiter and
// middleware, all on the shared Redis.
func replica(t *testing.T, prefix string, policies []ratelimit.Policy, opts ...Option) http.Handler {
	t.Helper()
	c := testClient(t)
	s := mustNew(t, c, append([]Option{WithPrefix(prefix)}, opts...)...)
	lim, err := ratelimit.New(s, policies, ratelimit.WithKey(func(r *http.Request) string {
		return r.Header.Get("X-Partner")
	}))
	if err != nil {
		t.Fatal(err)
	}
	return lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
}

func partnerRequest(h http.Handler, partner string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/v1/things", nil)
	r.Header.Set("X-Partner", partner)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestTwoReplicasShareOneLimit(t *testing.T) {
	c := testClient(t)
	prefix := testPrefix(t, c)
	policies := []ratelimit.Policy{ratelimit.PerHour(4).WithName("hourly"), ratelimit.PerSecond(100)}
	a, b := replica(t, prefix, policies), replica(t, prefix, policies)
	tests := []struct {
		name      string
		h         http.Handler
		partner   string
		status    int
		remaining string
	}{
		{"a first", a, "acme", 204, "3"},
		{"b sees a's request", b, "acme", 204, "2"},
		{"a again", a, "acme", 204, "1"},
		{"b takes the last", b, "acme", 204, "0"},
		{"a is denied", a, "acme", 429, "0"},
		{"b is denied", b, "acme", 429, "0"},
		{"another partner is not", b, "globex", 204, "3"},
	}
	for _, tt := range tests {
		rec := partnerRequest(tt.h, tt.partner)
		if rec.Code != tt.status || rec.Header().Get("X-RateLimit-Remaining") != tt.remaining {
			t.Fatalf("%s: status %d, remaining %q; want %d, %q (body %s)", tt.name, rec.Code,
				rec.Header().Get("X-RateLimit-Remaining"), tt.status, tt.remaining, rec.Body)
		}
		if tt.status == 429 {
			// 4 per hour: the next request is admitted 15 minutes after the first.
			ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
			if err != nil || ra < 1 || ra > 15*60 {
				t.Fatalf("%s: Retry-After %q, want 1..900 seconds", tt.name, rec.Header().Get("Retry-After"))
			}
		}
	}
}

func TestMiddlewareWhenRedisFails(t *testing.T) {
	policies := []ratelimit.Policy{ratelimit.PerHour(2)}
	tests := []struct {
		name     string
		mw       func(t *testing.T) []ratelimit.Option
		statuses []int
		retry    string
	}{
		{"fail closed by default", nil, []int{503, 503, 503}, "1"},
		{"fail open", func(*testing.T) []ratelimit.Option { return []ratelimit.Option{ratelimit.WithFailOpen()} }, []int{204, 204, 204}, ""},
		{"local fallback", func(t *testing.T) []ratelimit.Option {
			local, err := ratelimit.NewMemoryStore()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = local.Close() })
			return []ratelimit.Option{ratelimit.WithFallback(local, 1)}
		}, []int{204, 204, 429}, ""},
	}
	for _, sc := range scenarios() {
		if sc.name == "frozen" {
			continue // covered at the store level; slow per request
		}
		for _, tt := range tests {
			t.Run(sc.name+"/"+tt.name, func(t *testing.T) {
				c := sc.client(t, true)
				defer c.Close()
				s := mustNew(t, c, WithTimeout(testTimeout))
				var mw []ratelimit.Option
				if tt.mw != nil {
					mw = tt.mw(t)
				}
				lim, err := ratelimit.New(s, policies, mw...)
				if err != nil {
					t.Fatal(err)
				}
				h := lim.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
				for i, want := range tt.statuses {
					rec := partnerRequest(h, "acme")
					if rec.Code != want {
						t.Fatalf("request %d: status %d, want %d (body %s)", i, rec.Code, want, rec.Body)
					}
					if want == 503 && rec.Header().Get("Retry-After") != tt.retry {
						t.Fatalf("request %d: Retry-After %q, want %q", i, rec.Header().Get("Retry-After"), tt.retry)
					}
				}
			})
		}
	}
}

func TestLimiterResetOnRedis(t *testing.T) {
	c := testClient(t)
	prefix := testPrefix(t, c)
	s := mustNew(t, c, WithPrefix(prefix))
	lim, err := ratelimit.New(s, []ratelimit.Policy{ratelimit.PerHour(1), ratelimit.PerMinute(5).WithName("m")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_, _ = lim.Allow(ctx, "acme")
	if d, _ := lim.Allow(ctx, "acme"); d.Allowed {
		t.Fatal("second request admitted at 1 per hour")
	}
	if err := lim.Reset(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if keys := scanKeys(t, c, prefix); len(keys) != 0 {
		t.Errorf("keys left after Reset: %v", keys)
	}
	if d, _ := lim.Allow(ctx, "acme"); !d.Allowed {
		t.Error("denied after Reset")
	}
}
