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
	hs := &d.lim.hdr
	if len(d.lim.fp) > 0 && &d.p[0] == &d.lim.fp[0] {
		hs = &d.lim.fhdr
	}
	// Every varying value goes into one buffer, made into one string;
	// the header values are slices of it, in one []string.
	var arr [256]byte
	buf := arr[:0]
	c := &d.p[d.policy]
	tat := d.tat[d.policy]
	buf = strconv.AppendInt(buf, c.remaining(d.now, tat), 10)
	e1 := len(buf)
	buf = strconv.AppendInt(buf, ceilDiv(tat, int64(time.Second)), 10)
	e2 := len(buf)
	if d.lim.ietf {
		for i := range int(d.n) {
			c := &d.p[i]
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = append(buf, hs.quoted[i]...)
			buf = append(buf, ";r="...)
			buf = strconv.AppendInt(buf, c.remaining(d.now, d.tat[i]), 10)
			buf = append(buf, ";t="...)
			buf = strconv.AppendInt(buf, ceilDiv(d.tat[i]-d.now, int64(time.Second)), 10)
		}
	}
	e3 := len(buf)
	if !d.Allowed {
		buf = strconv.AppendInt(buf, retryAfterSeconds(d.RetryAfter()), 10)
	}
	str := string(buf)
	vals := make([]string, 4)
	vals[0], vals[1], vals[2], vals[3] = str[:e1], str[e1:e2], str[e2:e3], str[e3:]
	h[canonLimit] = hs.limit[d.policy]
	h[canonRemaining] = vals[0:1:1]
	h[canonReset] = vals[1:2:2]
	if d.lim.ietf {
		h[canonPolicy] = hs.policy
		h[canonRateLimit] = vals[2:3:3]
	}
	if !d.Allowed {
		h[canonRetryAfter] = vals[3:4:4]
	}
}

// Canonical forms of the field names, for direct map assignment.
var (
	canonLimit      = http.CanonicalHeaderKey(headerLimit)
	canonRemaining  = http.CanonicalHeaderKey(headerRemaining)
	canonReset      = http.CanonicalHeaderKey(headerReset)
	canonRetryAfter = http.CanonicalHeaderKey(headerRetryAfter)
	canonPolicy     = http.CanonicalHeaderKey(headerPolicy)
	canonRateLimit  = http.CanonicalHeaderKey(headerRateLimit)
)

// headerConsts are the field values of one set of policies that no
// decision changes, formatted once. Their slices are shared by every
// response: each has cap == len, so that appending to one copies it.
type headerConsts struct {
	limit  [][]string // X-RateLimit-Limit of each policy
	policy []string   // RateLimit-Policy
	quoted []string   // each policy's name as a structured-field string
}

func newHeaderConsts(p []compiled) headerConsts {
	var hc headerConsts
	var pol []byte
	for i, c := range p {
		q := strconv.Quote(c.name) // names are printable ASCII without " or \
		hc.quoted = append(hc.quoted, q)
		hc.limit = append(hc.limit, []string{strconv.FormatInt(c.limit, 10)})
		if i > 0 {
			pol = append(pol, ", "...)
		}
		pol = append(pol, q...)
		pol = append(pol, ";q="...)
		pol = strconv.AppendInt(pol, c.limit, 10)
		pol = append(pol, ";w="...)
		pol = strconv.AppendInt(pol, ceilDiv(int64(c.period), int64(time.Second)), 10)
	}
	hc.policy = []string{string(pol)}
	return hc
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
