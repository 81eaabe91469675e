package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"
)

const (
	headerRequestID = "X-Request-Id"
	headerReplayed  = "Idempotent-Replayed"
)

// classify decides whether the answer to attempt n calls for another
// attempt, and after what wait.
func (t *Transport) classify(ctx context.Context, r *http.Request, safe, keyed bool, resp *http.Response, err error, n int, now time.Time) (bool, time.Duration) {
	if err != nil {
		if ctx.Err() != nil {
			return false, 0
		}
		if !safe && !nothingSent(err) {
			return false, 0
		}
		return true, t.backoff(n)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests, code == http.StatusServiceUnavailable:
		// Any method: the server refused the request before acting on it.
	case code == http.StatusConflict:
		if !keyed || !keyInProgress(resp) {
			return false, 0
		}
	case code == http.StatusRequestTimeout, code == http.StatusInternalServerError,
		code == http.StatusBadGateway, code == http.StatusGatewayTimeout:
		if !safe {
			return false, 0
		}
	case code >= 500:
		if !safe || !retryableProblem(resp) {
			return false, 0
		}
	default:
		return false, 0
	}
	if d := serverWait(resp, now); d > 0 {
		return true, d
	}
	return true, t.backoff(n)
}

// nothingSent reports whether err is a failure to connect, so that no
// byte of the request reached the server.
func nothingSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

// backoff returns the wait before retry n: full jitter over an exponential
// ceiling, random in [0, min(cap, base·2ⁿ⁻¹)).
func (t *Transport) backoff(n int) time.Duration {
	ceil := t.cfg.backoffBase
	for i := 1; i < n && ceil < t.cfg.backoffCap; i++ {
		ceil *= 2
	}
	ceil = min(ceil, t.cfg.backoffCap)
	return rand.N(ceil)
}

// keyInProgress reports whether a 409 says that a request with the same
// idempotency key is still being processed.
func keyInProgress(resp *http.Response) bool {
	p := parseProblem(resp)
	if p == nil {
		return false
	}
	switch p.Code {
	case "idempotency/in-progress", "idempotency/key-in-progress":
		return true
	}
	return strings.HasSuffix(p.Type, "in-progress")
}

func retryableProblem(resp *http.Response) bool {
	p := parseProblem(resp)
	return p != nil && p.Retryable
}
