package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// Field names written by [Decision.SetHeaders] and read by [ParseHeader].
const (
	headerLimit      = "X-RateLimit-Limit"
	headerRemaining  = "X-RateLimit-Remaining"
	headerReset      = "X-RateLimit-Reset"
	headerRetryAfter = "Retry-After"
	// headerPolicy and headerRateLimit are the fields of
	// draft-ietf-httpapi-ratelimit-headers.
	headerPolicy    = "RateLimit-Policy"
	headerRateLimit = "RateLimit"
)

// SetHeaders sets the rate-limit fields of the decision on h, as
// [Limiter.Handler] does; each field is set, never added.
//
// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset describe
// the most restrictive policy: its limit, the requests remaining, and when
// its quota is whole again (UTC epoch seconds, rounded up); a denial gets
// Retry-After in whole seconds, rounded up and at least 1.
//
// Unless the limiter was made with WithIETFHeaders(false), the
// RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers list every policy:
//
//	RateLimit-Policy: "10/1s";q=10;w=1, "hourly";q=1000;w=3600
//	RateLimit: "10/1s";r=9;t=1, "hourly";r=998;t=8
//
// q is the limit, w the period in seconds (rounded up), r the remaining
// requests and t the seconds until the quota is whole again (rounded up).
func (d *Decision) SetHeaders(h http.Header) {
	if d.n == 0 {
		return
	}
	p := d.Policy()
	h.Set(headerLimit, strconv.FormatInt(p.Limit, 10))
	h.Set(headerRemaining, strconv.FormatInt(p.Remaining, 10))
	h.Set(headerReset, strconv.FormatInt(ceilDiv(d.now+int64(p.Reset), int64(time.Second)), 10))
	if !d.Allowed {
		h.Set(headerRetryAfter, strconv.FormatInt(retryAfterSeconds(d.RetryAfter()), 10))
	}
	if !d.lim.ietf {
		return
	}
	pol := make([]byte, 0, 32*d.n)
	rl := make([]byte, 0, 32*d.n)
	for i := range int(d.n) {
		s := d.policyAt(i)
		if i > 0 {
			pol = append(pol, ", "...)
			rl = append(rl, ", "...)
		}
		pol = strconv.AppendQuote(pol, s.Name) // names are printable ASCII without " or \
		pol = append(pol, ";q="...)
		pol = strconv.AppendInt(pol, s.Limit, 10)
		pol = append(pol, ";w="...)
		pol = strconv.AppendInt(pol, ceilDiv(int64(s.Period), int64(time.Second)), 10)
		rl = strconv.AppendQuote(rl, s.Name)
		rl = append(rl, ";r="...)
		rl = strconv.AppendInt(rl, s.Remaining, 10)
		rl = append(rl, ";t="...)
		rl = strconv.AppendInt(rl, ceilDiv(int64(s.Reset), int64(time.Second)), 10)
	}
	h.Set(headerPolicy, string(pol))
	h.Set(headerRateLimit, string(rl))
}

// ceilDiv returns a/b rounded up, for b > 0.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// retryAfterSeconds is the Retry-After value of d: whole seconds, rounded
// up, at least 1. A client that waits that long finds the request admitted
// (absent other traffic on its key).
func retryAfterSeconds(d time.Duration) int64 {
	return max(1, ceilDiv(int64(d), int64(time.Second)))
}
