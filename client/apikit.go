package client

// Every use of another apikit package's API is in this file.

import (
	"net/http"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

// readQuota reads the rate-limit fields of h, received at now
// (ratelimit.ParseHeader, which allocates nothing for them).
func readQuota(h http.Header, now time.Time) (ratelimit.Quota, bool) {
	return ratelimit.ParseHeader(h, now)
}

// serverWait returns how long the server asked the caller to wait:
// Retry-After when given, else the time to the rate-limit reset when no
// quota remains; 0 when it said nothing.
func serverWait(resp *http.Response, now time.Time) time.Duration {
	q, _ := readQuota(resp.Header, now)
	return q.Wait(now)
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
