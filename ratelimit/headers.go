package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// Header names written by [SetHeaders] and [SetIETFHeaders].
const (
	HeaderLimit      = "X-RateLimit-Limit"
	HeaderRemaining  = "X-RateLimit-Remaining"
	HeaderReset      = "X-RateLimit-Reset"
	HeaderRetryAfter = "Retry-After"
	// HeaderPolicy and HeaderRateLimit are the fields of
	// draft-ietf-httpapi-ratelimit-headers.
	HeaderPolicy    = "RateLimit-Policy"
	HeaderRateLimit = "RateLimit"
)

// SetHeaders sets the X-RateLimit-* fields of d's most restrictive
// policy: X-RateLimit-Limit (requests per period), X-RateLimit-Remaining
// and X-RateLimit-Reset (when the quota is whole again, in UTC epoch
// seconds, rounded up), and, for a denial, Retry-After in whole seconds,
// rounded up and at least 1. Each field is set, never added.
func SetHeaders(h http.Header, d *Decision) {
	if d.n == 0 {
		return
	}
	p := d.Policy()
	h.Set(HeaderLimit, strconv.FormatInt(p.Limit, 10))
	h.Set(HeaderRemaining, strconv.FormatInt(p.Remaining, 10))
	h.Set(HeaderReset, strconv.FormatInt(ceilDiv(d.now+int64(p.Reset), int64(time.Second)), 10))
	if !d.Allowed {
		h.Set(HeaderRetryAfter, strconv.FormatInt(retryAfterSeconds(d.RetryAfter()), 10))
	}
}

// SetIETFHeaders sets the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers, one list member per policy:
//
//	RateLimit-Policy: "10/1s";q=10;w=1, "hourly";q=1000;w=3600
//	RateLimit: "10/1s";r=9;t=1, "hourly";r=998;t=8
//
// q is the limit, w the period in seconds (rounded up), r the remaining
// requests and t the seconds until the quota is whole again (rounded up).
func SetIETFHeaders(h http.Header, d *Decision) {
	if d.n == 0 {
		return
	}
	pol := make([]byte, 0, 32*d.n)
	rl := make([]byte, 0, 32*d.n)
	for i, s := range d.Policies() {
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
	h.Set(HeaderPolicy, string(pol))
	h.Set(HeaderRateLimit, string(rl))
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

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
