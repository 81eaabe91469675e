package client

// Every use of another apikit package's API is in this file.

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

// quota is what a response says about the caller's rate limit.
type quota struct {
	limit, remaining int64
	reset            time.Time
	retryAfter       time.Duration
}

// readQuota reads the rate-limit fields of h, received at now: the IETF
// RateLimit fields, else X-RateLimit-*, and Retry-After.
//
// The IETF fields are read by ratelimit.ParseHeader; the X-RateLimit-*
// fields, sent on every answer of an apikit service, are read here without
// allocating (ratelimit.ParseHeader costs about 7 allocations per answer).
func readQuota(h http.Header, now time.Time) (quota, bool) {
	if !hasQuota(h) {
		return quota{}, false
	}
	if _, ietf := h["Ratelimit"]; ietf {
		q, ok := ratelimit.ParseHeader(h, now)
		return quota{limit: q.Limit, remaining: q.Remaining, reset: q.Reset, retryAfter: q.RetryAfter}, ok
	}
	var q quota
	ok := false
	if n, good := count(h["X-Ratelimit-Limit"]); good {
		q.limit, ok = n, true
	}
	if n, good := count(h["X-Ratelimit-Remaining"]); good {
		q.remaining, ok = n, true
	}
	if n, good := count(h["X-Ratelimit-Reset"]); good && n < math.MaxInt64/int64(time.Second) {
		q.reset, ok = time.Unix(n, 0), true
		if v := h["Date"]; len(v) > 0 {
			if date, err := http.ParseTime(v[0]); err == nil {
				q.reset = now.Add(q.reset.Sub(date)) // the server's clock may differ from ours
			}
		}
	}
	if v := h["Retry-After"]; len(v) > 0 {
		if d := problem.ParseRetryAfter(v[0], now); d > 0 {
			q.retryAfter, ok = d, true
		}
	}
	return q, ok
}

// count reads a non-negative decimal header value.
func count(v []string) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := strings.TrimSpace(v[0])
	if s == "" || len(s) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// hasQuota is a cheap test for the fields readQuota reads.
func hasQuota(h http.Header) bool {
	for _, k := range [...]string{"Ratelimit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", "Retry-After"} {
		if _, ok := h[k]; ok {
			return true
		}
	}
	return false
}

// serverWait returns how long the server asked the caller to wait:
// Retry-After when given, else the time to the rate-limit reset when no
// quota remains; 0 when it said nothing.
func serverWait(resp *http.Response, now time.Time) time.Duration {
	q, ok := readQuota(resp.Header, now)
	if !ok {
		return 0
	}
	if q.retryAfter > 0 {
		return q.retryAfter
	}
	if q.remaining <= 0 && !q.reset.IsZero() {
		return max(q.reset.Sub(now), 0)
	}
	return 0
}

// parseProblem reads an error response as a problem, whatever its dialect,
// leaving resp.Body readable again.
func parseProblem(resp *http.Response) *problem.Problem {
	return problem.Parse(resp)
}

// decoded is a success body decoded by dialect.
type decoded struct {
	requestID string
	hasMore   bool
	next      string
}

// decode reads resp of any dialect into T; an error status (or an ack of
// type ERROR) gives a *problem.Problem. It consumes and closes resp.Body.
func decode[T any](resp *http.Response) (T, decoded, error) {
	v, info, err := envelope.Read[T](resp)
	d := decoded{requestID: info.BodyRequestID}
	if d.requestID == "" {
		d.requestID = info.RequestID
	}
	if pg := info.Page; pg != nil {
		d.hasMore = pg.HasNext
		d.next = pg.NextCursor
		if d.next == "" {
			d.next = pg.LastID
		}
	}
	return v, d, err
}
