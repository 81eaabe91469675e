package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Option configures a [Client] ([New]) or a [Transport] ([NewTransport]).
// [WithTransport] and [WithBaseURL] apply to a Client only.
type Option func(*config)

// config is what the options set; validated by check.
type config struct {
	base        http.RoundTripper
	baseURL     *url.URL
	baseURLErr  error
	clientOnly  []string
	header      http.Header
	maxAttempts int
	backoffBase time.Duration
	backoffCap  time.Duration
	maxElapsed  time.Duration
	keys        bool
	keyHeader   string
	paceKey     func(*http.Request) string
	budgetShare float64
	budgetFloor int
	maxBuffer   int64
	logger      *slog.Logger
	observer    func(Attempt)
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
}

func defaults() config {
	return config{
		maxAttempts: 4,
		backoffBase: 200 * time.Millisecond,
		backoffCap:  10 * time.Second,
		maxElapsed:  time.Minute,
		keys:        true,
		keyHeader:   "Idempotency-Key",
		paceKey:     hostKey,
		budgetShare: 0.2,
		budgetFloor: 10,
		maxBuffer:   1 << 20,
		now:         time.Now,
		sleep:       sleepContext,
	}
}

func (c *config) check() error {
	var errs []error
	if c.baseURLErr != nil {
		errs = append(errs, c.baseURLErr)
	}
	if c.maxAttempts < 1 {
		errs = append(errs, fmt.Errorf("client: WithMaxAttempts(%d): want at least 1", c.maxAttempts))
	}
	if c.backoffBase <= 0 || c.backoffCap < c.backoffBase {
		errs = append(errs, fmt.Errorf("client: WithBackoff(%v, %v): want 0 < base <= cap", c.backoffBase, c.backoffCap))
	}
	if c.maxElapsed <= 0 {
		errs = append(errs, fmt.Errorf("client: WithMaxElapsed(%v): want a positive duration", c.maxElapsed))
	}
	if c.keyHeader == "" {
		errs = append(errs, errors.New("client: WithIdempotencyHeader: empty header name"))
	}
	if c.paceKey == nil {
		errs = append(errs, errors.New("client: WithPaceKey(nil)"))
	}
	if c.budgetShare < 0 || c.budgetFloor < 0 {
		errs = append(errs, fmt.Errorf("client: WithRetryBudget(%v, %d): want non-negative values", c.budgetShare, c.budgetFloor))
	}
	if c.maxBuffer < 0 {
		errs = append(errs, fmt.Errorf("client: WithMaxBufferedBytes(%d): want a non-negative size", c.maxBuffer))
	}
	if c.now == nil || c.sleep == nil {
		errs = append(errs, errors.New("client: WithClock(nil) or WithSleep(nil)"))
	}
	return errors.Join(errs...)
}

// WithTransport sets the transport a [Client] sends its requests through,
// wrapped in a [Transport]. It is for [New]; [NewTransport] takes the base
// transport as its argument. Default: http.DefaultTransport.
func WithTransport(base http.RoundTripper) Option {
	return func(c *config) {
		c.base = base
		c.clientOnly = append(c.clientOnly, "WithTransport")
	}
}

// WithBaseURL sets the URL that the paths given to a [Client]'s helpers are
// resolved against ("https://api.example.com/api/v1/"). It is for [New]
// only. Default: none; paths must then be absolute URLs.
func WithBaseURL(rawURL string) Option {
	return func(c *config) {
		c.clientOnly = append(c.clientOnly, "WithBaseURL")
		u, err := url.Parse(rawURL)
		if err == nil && (u.Scheme == "" || u.Host == "") {
			err = errors.New("want an absolute URL")
		}
		if err != nil {
			c.baseURLErr = fmt.Errorf("client: WithBaseURL(%q): %w", rawURL, err)
			return
		}
		c.baseURL = u
	}
}

// WithHeader sets a header on every request that does not already carry
// it: an Authorization token set once, a User-Agent, an API version. Called
// several times, it sets several headers. Default: none.
func WithHeader(name, value string) Option {
	return func(c *config) {
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Set(name, value)
	}
}

// WithMaxAttempts sets how many times one logical request is sent at most,
// the first attempt included; 1 switches retries off. Default: 4.
func WithMaxAttempts(n int) Option {
	return func(c *config) { c.maxAttempts = n }
}

// WithBackoff sets the exponential backoff with full jitter used when the
// server does not say how long to wait: before retry n the transport waits a
// random duration in [0, min(limit, base·2ⁿ⁻¹)). Default: 200ms, 10s.
func WithBackoff(base, limit time.Duration) Option {
	return func(c *config) { c.backoffBase, c.backoffCap = base, limit }
}

// WithMaxElapsed bounds the time one logical request may take, waits
// included: a retry whose wait would end later is not made and the last
// answer is returned. Default: 1m.
func WithMaxElapsed(d time.Duration) Option {
	return func(c *config) { c.maxElapsed = d }
}

// WithIdempotencyKeys sets whether a POST or PATCH without an idempotency
// key gets one (a UUID v4 from crypto/rand), generated once per logical
// request and sent on every attempt. Without a key such a request is
// retried only when no byte of it was sent, or when the server answered 429
// or 503. Default: true.
func WithIdempotencyKeys(on bool) Option {
	return func(c *config) { c.keys = on }
}

// WithIdempotencyHeader sets the header that carries idempotency keys, the
// one the transport fills in and the one that makes a request safe to
// repeat. Default: "Idempotency-Key".
func WithIdempotencyHeader(name string) Option {
	return func(c *config) { c.keyHeader = http.CanonicalHeaderKey(name) }
}

// WithPaceKey sets how requests are grouped for pacing: requests with the
// same key share the rate-limit state the server reported, so when its
// remaining quota is 0 new requests wait for the reset instead of being
// refused. Return "" to leave a request unpaced; a function that always
// returns "" switches pacing off. The client remembers at most 10,000 keys,
// forgetting those whose window has passed first. Default: the request's
// host (host:port).
func WithPaceKey(key func(*http.Request) string) Option {
	return func(c *config) { c.paceKey = key }
}

// WithRetryBudget limits retries to floor plus share of the logical
// requests made in the last 10 seconds (as gRPC retry throttling and
// Finagle's retry budget do), so an outage does not multiply the load on
// the server. WithRetryBudget(0, 0) forbids retries; a large floor
// switches the budget off. Default: 0.2, 10.
func WithRetryBudget(share float64, floor int) Option {
	return func(c *config) { c.budgetShare, c.budgetFloor = share, floor }
}

// WithMaxBufferedBytes sets how much of a request body without GetBody is
// kept to be sent again. A larger body is sent once, streamed, and the
// request is not retried (the error says so, see [ErrBodyNotReplayable]).
// Default: 1 MiB.
func WithMaxBufferedBytes(n int64) Option {
	return func(c *config) { c.maxBuffer = n }
}

// WithLogger sets the logger that receives one debug line per attempt:
// method, path, attempt, status, wait and request id. Default: no logging.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithObserver sets a function called after every attempt, for metrics. It
// must be safe for concurrent use and return quickly. Default: none.
func WithObserver(f func(Attempt)) Option {
	return func(c *config) { c.observer = f }
}

// WithClock sets the clock used for waits, rate-limit resets and the retry
// budget. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.now = now }
}

// WithSleep sets how the transport waits: sleep must return after d, or
// earlier with ctx's error when ctx is done. Tests pass one that advances a
// fake clock. Default: a timer.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) { c.sleep = sleep }
}

func hostKey(r *http.Request) string { return r.URL.Host }

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
