package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// maxErrorText bounds the answer kept in an attempt's error.
const maxErrorText = 256

// attempt sends m once and decides what follows. pause is how long the
// endpoint should rest (Retry-After).
func (d *Dispatcher) attempt(m Message) (Attempt, Result, time.Duration) {
	a := Attempt{Number: m.Attempts + 1, At: d.c.now()}
	status, answer, retryAfter, err := d.send(m, a.At)
	a.Latency = d.c.now().Sub(a.At)
	a.Status = status
	res := Result{Attempt: a, Failures: m.Failures, State: Pending}
	var pause time.Duration
	switch {
	case err != nil:
		a.Error = err.Error()
		var ee *EndpointError
		if errors.As(err, &ee) {
			// Retrying cannot make an internal address public.
			res.State = Dead
			res.Failures++
			break
		}
		d.retry(&res, 0)
	case status >= 200 && status < 300:
		res.State = Delivered
	case status == http.StatusGone:
		a.Error = "410 Gone: endpoint disabled"
		res.DisableEndpoint = true
		res.NextAt = a.At
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		a.Error = statusError(status, answer)
		pause = retryAfter
		d.retry(&res, retryAfter)
	case status >= 300 && status < 400:
		a.Error = statusError(status, answer) + " (redirects are not followed)"
		d.retry(&res, 0)
	default:
		a.Error = statusError(status, answer)
		d.retry(&res, 0)
	}
	res.Attempt = a
	return a, res, pause
}

// retry schedules the next attempt after a failure: after wait when
// positive (Retry-After), else after the schedule's next wait with
// jitter; a dead letter once the schedule is spent.
func (d *Dispatcher) retry(res *Result, wait time.Duration) {
	res.Failures++
	if res.Failures >= len(d.c.schedule) {
		res.State = Dead
		return
	}
	if wait <= 0 {
		wait = jitter(d.c.schedule[res.Failures], d.c.jitter)
	}
	res.NextAt = res.Attempt.At.Add(wait)
}

// jitter spreads d by up to ±fraction.
func jitter(d time.Duration, fraction float64) time.Duration {
	if d <= 0 || fraction == 0 {
		return d
	}
	return time.Duration(float64(d) * (1 + fraction*(2*rand.Float64()-1)))
}

func statusError(status int, answer []byte) string {
	s := strconv.Itoa(status) + " " + http.StatusText(status)
	if len(answer) > 0 {
		if len(answer) > maxErrorText {
			answer = answer[:maxErrorText]
		}
		s += ": " + string(bytes.ToValidUTF8(answer, []byte("?")))
	}
	return s
}

// send makes one signed POST of m. It reads at most maxAnswer bytes of
// the answer.
func (d *Dispatcher) send(m Message, at time.Time) (status int, answer []byte, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(d.attemptC, d.c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint, bytes.NewReader(m.Payload))
	if err != nil {
		return 0, nil, 0, &EndpointError{Endpoint: m.Endpoint, Reason: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "apikit-webhook")
	req.Header.Set("Webhook-Id", m.ID)
	if m.Type != "" {
		req.Header.Set("Webhook-Event", m.Type)
	}
	if err := d.signer.Sign(req.Header, m.ID, at, m.Payload); err != nil {
		return 0, nil, 0, fmt.Errorf("webhook: sign: %w", err)
	}
	client := d.client
	if d.mayBeInternal(m.Endpoint) {
		client = d.open
	}
	resp, err := client.Do(req)
	if err != nil {
		var ee *EndpointError
		if errors.As(err, &ee) {
			return 0, nil, 0, &EndpointError{Endpoint: m.Endpoint, Reason: ee.Reason}
		}
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	// The status decides: an answer whose body breaks off still came
	// from the receiver, so a read error is ignored.
	answer, _ = io.ReadAll(io.LimitReader(resp.Body, d.c.maxAnswer))
	return resp.StatusCode, answer, d.retryAfter(resp.Header.Get("Retry-After")), nil
}

// retryAfter parses a Retry-After value (seconds or an HTTP date), capped
// by WithMaxRetryAfter; 0 when absent or invalid.
func (d *Dispatcher) retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	var wait time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(d.c.maxRetryAfter/time.Second) {
			return d.c.maxRetryAfter
		}
		wait = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		wait = t.Sub(d.c.now())
	}
	if wait <= 0 {
		return 0
	}
	return min(wait, d.c.maxRetryAfter)
}
