package webhook

import (
	"fmt"
	"math"
	"net/http"
	"time"
)

// Option configures a Dispatcher (New) or a MemoryStore (NewMemoryStore);
// each option's documentation says which. Passing an option to the other
// constructor is an error.
type Option interface {
	apply(*config)
	target() target
	name() string
}

type target int

const (
	forDispatcher target = iota
	forMemory
)

type option struct {
	n string
	t target
	f func(*config)
}

func (o option) apply(c *config) { o.f(c) }
func (o option) target() target  { return o.t }
func (o option) name() string    { return o.n }
func dispatcherOption(n string, f func(*config)) Option {
	return option{n: n, t: forDispatcher, f: f}
}

type config struct {
	// dispatcher
	workers         int
	schedule        []time.Duration
	jitter          float64
	timeout         time.Duration
	lease           time.Duration
	storeTimeout    time.Duration
	poll            time.Duration
	maxRetryAfter   time.Duration
	sigHeader       string
	signer          Signer
	allowedURLs     map[string]bool
	allowPrivate    bool
	breakerFailures int
	breakerCooldown time.Duration
	concurrency     int
	ordered         bool
	observer        func(Event)
	now             func() time.Time
	maxPayload      int
	maxAnswer       int64
	transport       func(*http.Transport)

	// memory store
	maxEntries int

	errs []error
}

// standardSchedule returns the Standard Webhooks retry schedule.
func standardSchedule() []time.Duration {
	return []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
}

func newConfig(t target, opts []Option) (*config, error) {
	c := &config{
		workers:         4,
		schedule:        standardSchedule(),
		jitter:          0.2,
		timeout:         15 * time.Second,
		lease:           time.Minute,
		storeTimeout:    5 * time.Second,
		poll:            time.Second,
		maxRetryAfter:   time.Hour,
		breakerFailures: 5,
		breakerCooldown: time.Minute,
		concurrency:     8,
		now:             time.Now,
		maxPayload:      1 << 20,
		maxAnswer:       4 << 10,
		maxEntries:      100_000,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.target() != t {
			if t == forMemory {
				return nil, fmt.Errorf("webhook: %s configures a Dispatcher, not a MemoryStore", o.name())
			}
			return nil, fmt.Errorf("webhook: %s configures a MemoryStore, not a Dispatcher", o.name())
		}
		o.apply(c)
	}
	if len(c.errs) > 0 {
		return nil, c.errs[0]
	}
	if c.lease <= c.timeout+2*c.storeTimeout {
		return nil, fmt.Errorf("webhook: lease %v must be longer than the attempt timeout %v plus twice the store timeout %v", c.lease, c.timeout, c.storeTimeout)
	}
	return c, nil
}

func (c *config) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("webhook: "+format, args...))
}

func positive(n string, d time.Duration, set func(*config, time.Duration)) Option {
	return dispatcherOption(n, func(c *config) {
		if d <= 0 {
			c.errorf("%s(%v): want a positive duration", n, d)
			return
		}
		set(c, d)
	})
}

// WithWorkers sets how many messages a Dispatcher attempts at once, each
// in its own goroutine. Default: 4.
func WithWorkers(n int) Option {
	return dispatcherOption("WithWorkers", func(c *config) {
		if n < 1 {
			c.errorf("WithWorkers(%d): want at least 1", n)
			return
		}
		c.workers = n
	})
}

// WithSchedule sets the waits before each attempt: waits[0] before the
// first (counted from Enqueue), waits[i] after the i-th failure. After
// len(waits) failed attempts the message is a dead letter. Each wait but
// a zero one is spread by the jitter (WithJitter). Default: the Standard
// Webhooks schedule 0, 5s, 5m, 30m, 2h, 5h, 10h, 10h.
func WithSchedule(waits ...time.Duration) Option {
	return dispatcherOption("WithSchedule", func(c *config) {
		if len(waits) == 0 {
			c.errorf("WithSchedule(): want at least one wait")
			return
		}
		for _, w := range waits {
			if w < 0 {
				c.errorf("WithSchedule: negative wait %v", w)
				return
			}
		}
		c.schedule = append([]time.Duration(nil), waits...)
	})
}

// WithJitter sets how much each wait of the schedule varies at random, as
// a fraction: 0.2 makes a 5 m wait anything from 4 to 6 m, so messages
// that failed together are not retried together. It must be in [0, 1).
// Default: 0.2.
func WithJitter(fraction float64) Option {
	return dispatcherOption("WithJitter", func(c *config) {
		if !(fraction >= 0 && fraction < 1) {
			c.errorf("WithJitter(%v): want a fraction in [0, 1)", fraction)
			return
		}
		c.jitter = fraction
	})
}

// WithTimeout bounds each attempt: connecting, sending and reading the
// answer. Default: 15s.
func WithTimeout(d time.Duration) Option {
	return positive("WithTimeout", d, func(c *config, d time.Duration) { c.timeout = d })
}

// WithLease sets how long a worker holds a message it attempts. A worker
// that dies loses its lease when it runs out and another worker (in any
// replica) takes the message over. It must be longer than the attempt
// timeout plus twice the store timeout, so that a lease never runs out
// during an attempt. Default: 1m.
func WithLease(d time.Duration) Option {
	return positive("WithLease", d, func(c *config, d time.Duration) { c.lease = d })
}

// WithStoreTimeout bounds every store call. Default: 5s.
func WithStoreTimeout(d time.Duration) Option {
	return positive("WithStoreTimeout", d, func(c *config, d time.Duration) { c.storeTimeout = d })
}

// WithPollInterval sets how long an idle worker waits before asking the
// store for due messages again. An Enqueue through the same Dispatcher
// wakes a worker at once. Default: 1s.
func WithPollInterval(d time.Duration) Option {
	return positive("WithPollInterval", d, func(c *config, d time.Duration) { c.poll = d })
}

// WithMaxRetryAfter caps the Retry-After a 429 or 503 answer asks for.
// Default: 1h.
func WithMaxRetryAfter(d time.Duration) Option {
	return positive("WithMaxRetryAfter", d, func(c *config, d time.Duration) { c.maxRetryAfter = d })
}

// WithSignatureHeader signs every attempt in the "t=<unix>,v1=<hex>"
// format (the one Stripe uses) in the header named name, such as
// "X-ICP-Signature", instead of the Standard Webhooks headers. The
// Webhook-Id header still carries the message id. Default: Standard
// Webhooks (webhook-id, webhook-timestamp, webhook-signature).
func WithSignatureHeader(name string) Option {
	return dispatcherOption("WithSignatureHeader", func(c *config) {
		if name == "" {
			c.errorf("WithSignatureHeader(\"\"): want a header name")
			return
		}
		c.sigHeader = name
	})
}

// WithSigner signs every attempt with s instead of a signer New builds
// from its secrets (which may then be nil). *signature.Signer implements
// Signer. Default: a Standard Webhooks signer over New's secrets.
func WithSigner(s Signer) Option {
	return dispatcherOption("WithSigner", func(c *config) { c.signer = s })
}

// WithAllowedURLs lets the given endpoints, exactly as written, resolve to
// loopback, private or link-local addresses: for URLs an operator
// configures, never for URLs a partner supplies. Default: none.
func WithAllowedURLs(urls ...string) Option {
	return dispatcherOption("WithAllowedURLs", func(c *config) {
		if c.allowedURLs == nil {
			c.allowedURLs = make(map[string]bool)
		}
		for _, u := range urls {
			c.allowedURLs[u] = true
		}
	})
}

// WithAllowPrivateNetworks lets every endpoint resolve to any address,
// internal ones included. Use it only when no endpoint URL comes from
// outside (tests, an internal deployment). Default: off.
func WithAllowPrivateNetworks() Option {
	return dispatcherOption("WithAllowPrivateNetworks", func(c *config) { c.allowPrivate = true })
}

// WithBreaker sets the per-endpoint circuit breaker: after failures
// consecutive failed attempts to an endpoint, its messages wait for
// cooldown instead of being attempted; then one attempt probes it. A 429 or
// 503 answer pauses its endpoint for its Retry-After too. The breaker is
// kept by each Dispatcher. Default: 5 failures, 1m.
func WithBreaker(failures int, cooldown time.Duration) Option {
	return dispatcherOption("WithBreaker", func(c *config) {
		if failures < 1 || cooldown <= 0 {
			c.errorf("WithBreaker(%d, %v): want at least one failure and a positive cooldown", failures, cooldown)
			return
		}
		c.breakerFailures, c.breakerCooldown = failures, cooldown
	})
}

// WithEndpointConcurrency limits the attempts a Dispatcher makes to one
// endpoint at once. Default: 8.
func WithEndpointConcurrency(n int) Option {
	return dispatcherOption("WithEndpointConcurrency", func(c *config) {
		if n < 1 {
			c.errorf("WithEndpointConcurrency(%d): want at least 1", n)
			return
		}
		c.concurrency = n
	})
}

// WithOrdered delivers the messages of each endpoint one at a time in the
// order they were enqueued: a message waits while an older one to the
// same endpoint is pending (retries included). Every Dispatcher sharing a
// store must agree on it. Default: off (messages are attempted as they
// fall due, in parallel).
func WithOrdered() Option {
	return dispatcherOption("WithOrdered", func(c *config) { c.ordered = true })
}

// WithObserver calls f after every attempt and every release, from the
// worker that made it: count, time and log deliveries with it. f must be
// quick and safe for concurrent use. Default: none.
func WithObserver(f func(Event)) Option {
	return dispatcherOption("WithObserver", func(c *config) { c.observer = f })
}

// WithClock sets the clock that schedules messages and leases; nil means
// time.Now. Every Dispatcher sharing a store should have a clock close to
// the others'. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return dispatcherOption("WithClock", func(c *config) {
		if now == nil {
			now = time.Now
		}
		c.now = now
	})
}

// WithMaxPayloadBytes bounds the payload Enqueue accepts. Default: 1 MiB.
func WithMaxPayloadBytes(n int64) Option {
	return dispatcherOption("WithMaxPayloadBytes", func(c *config) {
		if n < 1 {
			c.errorf("WithMaxPayloadBytes(%d): want a positive size", n)
			return
		}
		c.maxPayload = int(min(n, math.MaxInt))
	})
}

// WithTransportConfig lets f adjust the http.Transport a Dispatcher sends
// with (TLS settings, proxies, connection pool sizes). The transport's
// dialer keeps its address check and redirects are never followed, which
// is why a Dispatcher takes no http.RoundTripper of its own (unlike
// client.WithTransport). Default: none.
func WithTransportConfig(f func(*http.Transport)) Option {
	return dispatcherOption("WithTransportConfig", func(c *config) { c.transport = f })
}

// WithMaxEntries bounds the messages a MemoryStore keeps. Default: 100000.
func WithMaxEntries(n int) Option {
	return option{n: "WithMaxEntries", t: forMemory, f: func(c *config) {
		if n < 1 {
			c.errorf("WithMaxEntries(%d): want at least 1", n)
			return
		}
		c.maxEntries = n
	}}
}
