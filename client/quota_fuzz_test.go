package client

import (
	"net/http"
	"testing"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// FuzzReadQuota checks the allocation-free reading of X-RateLimit-* and
// Retry-After against ratelimit.ParseHeader, which it stands in for.
func FuzzReadQuota(f *testing.F) {
	f.Add("10", "0", "1767225600", "Thu, 01 Jan 2026 00:00:00 GMT", "2")
	f.Add(" 5 ", "-1", "99999999999999999999", "", "Thu, 01 Jan 2026 00:00:30 GMT")
	f.Add("+3", "00000000000000000001", "x", "garbage", "0")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, limit, remaining, reset, date, retryAfter string) {
		h := http.Header{}
		for k, v := range map[string]string{"X-Ratelimit-Limit": limit, "X-Ratelimit-Remaining": remaining,
			"X-Ratelimit-Reset": reset, "Date": date, "Retry-After": retryAfter} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		got, gotOK := readQuota(h, now)
		q, ok := ratelimit.ParseHeader(h, now)
		want := quota{limit: q.Limit, remaining: q.Remaining, reset: q.Reset, retryAfter: q.RetryAfter}
		if ok && !hasQuota(h) {
			return // fields readQuota does not look for (none today)
		}
		if gotOK != ok || got.limit != want.limit || got.remaining != want.remaining ||
			!got.reset.Equal(want.reset) || got.retryAfter != want.retryAfter {
			t.Fatalf("headers %v:\nreadQuota %+v %v\nParseHeader %+v %v", h, got, gotOK, want, ok)
		}
	})
}
