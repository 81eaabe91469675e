package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
	"unsafe"
)

// Transport is an http.RoundTripper that sends each request through a base
// transport and repeats it when that is safe and useful: see the package
// documentation for the rules. Wrap it in any http.Client, or hand it to
// another SDK. Make one with [NewTransport]; the zero value is not
// usable. A Transport is safe for concurrent use; the rate-limit state
// and the retry budget are shared by every request it carries.
type Transport struct {
	base http.RoundTripper
	cfg  config
	pace pacer
	bud  budget
}

// Attempt describes one attempt at a logical request, as the observer set
// with [WithObserver] receives it.
type Attempt struct {
	// Method and URL are the request's.
	Method string
	URL    *url.URL
	// N counts the attempts at this logical request, from 1.
	N int
	// Status is the response status; 0 when Err is set.
	Status int
	// Err is the transport error of this attempt, if any.
	Err error
	// Duration is how long the attempt took, until the response headers.
	Duration time.Duration
	// Retry reports whether another attempt follows, after Wait.
	Retry bool
	// Wait is the pause before the next attempt; 0 when Retry is false.
	Wait time.Duration
	// RequestID is the response's X-Request-Id header.
	RequestID string
}

// ErrBodyNotReplayable is wrapped by the error of a request that could
// have been retried but was not, because its body has no GetBody and is
// larger than the replay buffer ([WithMaxBufferedBytes]).
var ErrBodyNotReplayable = errors.New("client: not retried: the request body has no GetBody and exceeds the replay buffer")

// NewTransport returns a Transport that sends requests through base (nil
// means http.DefaultTransport). Every option but [WithTransport] and
// [WithBaseURL] applies; a bad option value is an error.
func NewTransport(base http.RoundTripper, opts ...Option) (*Transport, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.clientOnly) > 0 {
		return nil, fmt.Errorf("client: %s configures a Client (New), not a Transport", cfg.clientOnly[0])
	}
	return newTransport(base, cfg)
}

func newTransport(base http.RoundTripper, cfg config) (*Transport, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, cfg: cfg}
	t.bud.share, t.bud.floor = cfg.budgetShare, cfg.budgetFloor
	return t, nil
}

// RoundTrip sends req, repeating it as the package documentation
// describes, and returns the last answer. It does not modify req.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, _, err := t.do(req)
	return resp, err
}

// outcome is what a Client's helpers learn about a logical request besides
// its answer.
type outcome struct {
	attempts int
	// notReplayable is set when a retry was wanted but the body could not
	// be sent again.
	notReplayable bool
}

func (t *Transport) do(req *http.Request) (*http.Response, outcome, error) {
	var out outcome
	ctx := req.Context()
	cfg := &t.cfg
	start := cfg.now()
	t.bud.deposit(start)

	r := t.prepare(req)
	keyed := r.Header.Get(cfg.keyHeader) != ""
	safe := keyed || idempotent(r.Method)

	// Bodies: replayed with GetBody, else buffered up to the limit.
	var replay func() (io.ReadCloser, error)
	if r.Body != nil && r.Body != http.NoBody {
		if r.GetBody != nil {
			replay = r.GetBody
		} else {
			buf, err := io.ReadAll(io.LimitReader(r.Body, cfg.maxBuffer+1))
			if err != nil {
				_ = r.Body.Close()
				return nil, out, fmt.Errorf("client: reading the request body: %w", err)
			}
			if r == req {
				r = shallow(req)
			}
			if int64(len(buf)) <= cfg.maxBuffer {
				_ = req.Body.Close()
				replay = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
				r.Body, _ = replay()
				r.GetBody = replay
				r.ContentLength = int64(len(buf))
			} else {
				r.Body = struct {
					io.Reader
					io.Closer
				}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
			}
		}
	}

	paceKey := cfg.paceKey(r)
	deadline, hasDeadline := ctx.Deadline()
	var last *http.Response // the previous answer, kept in memory while waiting
	for attempt := 1; ; attempt++ {
		out.attempts = attempt
		ar := r
		if attempt > 1 && replay != nil {
			ar = shallow(r)
			body, err := replay()
			if err != nil {
				return nil, out, fmt.Errorf("client: GetBody: %w", err)
			}
			ar.Body = body
		}
		held := false
		if paceKey != "" {
			var err error
			if held, err = t.pace.wait(ctx, paceKey, cfg, deadline, hasDeadline); err != nil {
				if ar.Body != nil {
					_ = ar.Body.Close()
				}
				if last != nil && errors.Is(err, ErrQuotaExhausted) {
					out.attempts--
					return last, out, nil // no quota before the deadline: the last answer stands
				}
				return nil, out, err
			}
		}
		t0 := start
		if attempt > 1 || held {
			t0 = cfg.now()
		}
		resp, err := t.base.RoundTrip(ar)
		now := cfg.now()
		if err == nil && paceKey != "" {
			t.pace.update(paceKey, resp, now)
		}

		retry, wait := t.classify(ctx, r, safe, keyed, resp, err, attempt, now)
		if retry {
			switch {
			case attempt >= cfg.maxAttempts,
				now.Add(wait).Sub(start) > cfg.maxElapsed,
				hasDeadline && now.Add(wait).After(deadline):
				retry = false
			case r.Body != nil && r.Body != http.NoBody && replay == nil:
				retry, out.notReplayable = false, true
			case !t.bud.withdraw(now):
				retry = false
			}
		}
		if !retry {
			wait = 0
		}
		t.report(ctx, ar, attempt, resp, err, now.Sub(t0), retry, wait)
		if !retry {
			if err != nil && out.notReplayable {
				err = fmt.Errorf("%w (%w)", err, ErrBodyNotReplayable)
			}
			return resp, out, err
		}
		last = nil
		if resp != nil {
			last = keep(resp)
		}
		if err := cfg.sleep(ctx, wait); err != nil {
			return nil, out, err
		}
	}
}

// prepare returns req, or a shallow copy with its own header when headers
// must be added: the configured ones and an idempotency key.
func (t *Transport) prepare(req *http.Request) *http.Request {
	cfg := &t.cfg
	needKey := cfg.keys && (req.Method == http.MethodPost || req.Method == http.MethodPatch) &&
		req.Header.Get(cfg.keyHeader) == ""
	missing := false
	for k := range cfg.header {
		if _, ok := req.Header[k]; !ok {
			missing = true
			break
		}
	}
	if !needKey && !missing {
		return req
	}
	c := &prepared{r: *req} // one allocation for the copy and the key
	r := &c.r
	r.Header = make(http.Header, len(req.Header)+len(cfg.header)+1)
	for k, v := range req.Header {
		r.Header[k] = v
	}
	for k, v := range cfg.header {
		if _, ok := r.Header[k]; !ok {
			r.Header[k] = v
		}
	}
	if needKey {
		putKey(&c.keyBytes)
		// The string shares c's bytes, written once above and never again.
		c.key[0] = unsafe.String(&c.keyBytes[0], len(c.keyBytes))
		r.Header[cfg.keyHeader] = c.key[:]
	}
	return r
}

// prepared is a request copy with room for its idempotency key's value
// and bytes.
type prepared struct {
	r        http.Request
	key      [1]string
	keyBytes [36]byte
}

func shallow(req *http.Request) *http.Request {
	r := new(http.Request)
	*r = *req
	return r
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (t *Transport) report(ctx context.Context, r *http.Request, n int, resp *http.Response, err error, d time.Duration, retry bool, wait time.Duration) {
	cfg := &t.cfg
	logging := cfg.logger != nil && cfg.logger.Enabled(ctx, slog.LevelDebug)
	if !logging && cfg.observer == nil {
		return
	}
	a := Attempt{Method: r.Method, URL: r.URL, N: n, Err: err, Duration: d, Retry: retry, Wait: wait}
	if resp != nil {
		a.Status = resp.StatusCode
		a.RequestID = resp.Header.Get(headerRequestID)
	}
	if cfg.observer != nil {
		cfg.observer(a)
	}
	if logging {
		attrs := []slog.Attr{
			slog.String("method", a.Method), slog.String("path", a.URL.Path), slog.Int("attempt", n),
			slog.Int("status", a.Status), slog.Duration("wait", wait), slog.String("request_id", a.RequestID),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		cfg.logger.LogAttrs(ctx, slog.LevelDebug, "client: attempt", attrs...)
	}
}

// keepBytes bounds the body of an answer kept while waiting to retry.
const keepBytes = 64 << 10

// keep reads resp's body into memory and closes it, so that the
// connection is reused while the transport waits, and returns resp with
// the body in memory; nil when the body is larger than keepBytes.
func keep(resp *http.Response) *http.Response {
	body, err := io.ReadAll(io.LimitReader(resp.Body, keepBytes+1))
	_ = resp.Body.Close()
	if err != nil || len(body) > keepBytes {
		return nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}
