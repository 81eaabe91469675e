package client

// Every use of another apikit package's API is in this file.

import (
	"net/http"
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
func readQuota(h http.Header, now time.Time) (quota, bool) {
	if !hasQuota(h) {
		return quota{}, false
	}
	q, ok := ratelimit.ParseHeader(h, now)
	return quota{limit: q.Limit, remaining: q.Remaining, reset: q.Reset, retryAfter: q.RetryAfter}, ok
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
	d := decoded{requestID: info.RequestID}
	if pg := info.Page; pg != nil {
		d.hasMore = pg.HasNext || pg.HasMore
		d.next = pg.NextCursor
		if d.next == "" {
			d.next = pg.LastID
		}
	}
	return v, d, err
}
