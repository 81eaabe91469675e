package idempotency

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// ReplayedHeader is the response header set to "true" on a replayed
// response.
const ReplayedHeader = "Idempotent-Replayed"

// Option configures the middleware ([New]) or the memory store
// ([NewMemoryStore]); each option's doc says which. Giving one to the other
// constructor is an error.
type Option interface {
	apply(c *config, s *MemoryStore) error
}

// option is an Option for the middleware (mw) or the memory store (mem),
// or both.
type option struct {
	name string
	mw   func(*config) error
	mem  func(*MemoryStore) error
}

func (o option) apply(c *config, s *MemoryStore) error {
	switch {
	case c != nil && o.mw != nil:
		return o.mw(c)
	case s != nil && o.mem != nil:
		return o.mem(s)
	case c != nil:
		return fmt.Errorf("idempotency: %s is an option of NewMemoryStore, not New", o.name)
	default:
		return fmt.Errorf("idempotency: %s is an option of New, not NewMemoryStore", o.name)
	}
}

func mwOption(name string, f func(*config) error) Option { return option{name: name, mw: f} }

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("idempotency: %s(%v): want a positive duration", name, d)
	}
	return nil
}

type config struct {
	header          string
	methods         map[string]bool
	required        bool
	validator       func(string) error
	scope           func(*http.Request) string // nil: DefaultScope
	route           func(*http.Request) string // nil: pattern or method and path
	lease           time.Duration
	retention       time.Duration
	errRetention    time.Duration
	maxBody         int64
	maxResponse     int
	storeServerErrs bool
	wait            time.Duration
	failOpen        bool
	storeTimeout    time.Duration
	storeRetryAfter time.Duration
	replayHeaders   []string
	errorWriter     problem.ErrorWriter // nil: problem.WriteTo's choice
	observer        func(Event)
}

func defaultConfig() config {
	return config{
		header:          "Idempotency-Key",
		methods:         map[string]bool{http.MethodPost: true, http.MethodPatch: true},
		lease:           10 * time.Second,
		retention:       24 * time.Hour,
		errRetention:    time.Minute,
		maxBody:         1 << 20,
		maxResponse:     1 << 20,
		storeTimeout:    2 * time.Second,
		storeRetryAfter: 2 * time.Second,
		replayHeaders: []string{
			"Content-Type", "Content-Encoding", "Content-Language", "Content-Location",
			"Location", "Etag", "Last-Modified", "Cache-Control", "Expires", "Vary", "Link",
			"Retry-After", "Preference-Applied",
		},
	}
}

// WithKeyHeader sets the request header that carries the key. Middleware
// option. Default: "Idempotency-Key".
func WithKeyHeader(name string) Option {
	return mwOption("WithKeyHeader", func(c *config) error {
		if name == "" {
			return fmt.Errorf("idempotency: WithKeyHeader: empty header name")
		}
		c.header = http.CanonicalHeaderKey(name)
		return nil
	})
}

// WithMethods sets the methods the middleware acts on. Requests with other
// methods pass through untouched, key or not. Middleware option. Default:
// POST and PATCH.
func WithMethods(methods ...string) Option {
	return mwOption("WithMethods", func(c *config) error {
		if len(methods) == 0 {
			return fmt.Errorf("idempotency: WithMethods: no methods")
		}
		c.methods = make(map[string]bool, len(methods))
		for _, m := range methods {
			c.methods[m] = true
		}
		return nil
	})
}

// WithRequireKey makes the key mandatory for the middleware's methods: a
// request without one gets 400 [MissingKey]. Middleware option. Default: a
// request without a key runs normally, without protection.
func WithRequireKey() Option {
	return mwOption("WithRequireKey", func(c *config) error { c.required = true; return nil })
}

// WithValidator adds a check of the key's format, after the built-in ones
// (1–255 printable ASCII characters); [ValidateUUIDv4] is one. A refused key
// gets 400: the validator's error if it is a *problem.Problem, else
// [InvalidKey]. Middleware option. Default: no check beyond the built-in
// ones.
func WithValidator(validate func(key string) error) Option {
	return mwOption("WithValidator", func(c *config) error { c.validator = validate; return nil })
}

// WithScope sets how requests are attributed to callers: keys are only
// ever matched within one scope, and stores bound the records each scope
// may hold. scope returns a string identifying the caller (a tenant or
// account ID, typically from the request's context), as
// pagination.WithScope's does; "" means the caller is unknown, and a keyed
// request from it is answered 400 [AnonymousCaller] without running. A service with
// anonymous endpoints passes a scope that identifies their callers some
// other way (a device or session ID it issued), never a shared value such
// as a proxy's address. Middleware option. Default: [DefaultScope], which
// refuses keyed requests without credentials.
func WithScope(scope func(r *http.Request) string) Option {
	return mwOption("WithScope", func(c *config) error {
		if scope == nil {
			return fmt.Errorf("idempotency: WithScope: nil function")
		}
		c.scope = scope
		return nil
	})
}

// WithRoute sets how requests are attributed to routes: a key is only
// matched within one route. Within a route, a key reused with another
// method, path, query or body is a 422 mismatch. Middleware option.
// Default: the request's ServeMux pattern (r.Pattern) or, when there is
// none, method and path.
func WithRoute(route func(r *http.Request) string) Option {
	return mwOption("WithRoute", func(c *config) error {
		if route == nil {
			return fmt.Errorf("idempotency: WithRoute: nil function")
		}
		c.route = route
		return nil
	})
}

// WithLease sets how long a claim on a key lasts without renewal. While the
// handler runs, the lease is renewed every third of it; after a crash the
// key is usable again once it runs out. It must be shorter than the
// retention. Middleware option. Default: 10 seconds.
func WithLease(d time.Duration) Option {
	return mwOption("WithLease", func(c *config) error { c.lease = d; return positive("WithLease", d) })
}

// WithRetention sets how long a completed response is kept for replay.
// Middleware option. Default: 24 hours.
func WithRetention(d time.Duration) Option {
	return mwOption("WithRetention", func(c *config) error { c.retention = d; return positive("WithRetention", d) })
}

// WithClientErrorRetention sets how long a 4xx response is kept for
// replay. Most 4xx answers (validation failures, conflicts) come before the
// handler does any work, so keeping them for the whole retention would
// only let a caller fill the store with answers nobody needs; a retry
// after this time runs the handler again. Set it to the retention to keep
// 4xx as long as any response. Middleware option. Default: 1 minute.
func WithClientErrorRetention(d time.Duration) Option {
	return mwOption("WithClientErrorRetention", func(c *config) error {
		c.errRetention = d
		return positive("WithClientErrorRetention", d)
	})
}

// WithMaxBodyBytes sets the largest request body accepted with a key; the
// body is read in full to fingerprint it, and a larger one gets 413 before
// the key is claimed. Middleware option. Default: 1 MiB.
func WithMaxBodyBytes(n int64) Option {
	return mwOption("WithMaxBodyBytes", func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("idempotency: WithMaxBodyBytes(%d): want a positive size", n)
		}
		c.maxBody = n
		return nil
	})
}

// WithMaxResponseBytes sets the largest response body stored for replay.
// A larger response is still sent in full, but only a marker is stored: a
// retry gets 409 [ResponseNotStored], never a second execution. Middleware
// option. Default: 1 MiB.
func WithMaxResponseBytes(n int64) Option {
	return mwOption("WithMaxResponseBytes", func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("idempotency: WithMaxResponseBytes(%d): want a positive size", n)
		}
		c.maxResponse = int(min(n, math.MaxInt))
		return nil
	})
}

// WithStoreServerErrors makes 5xx responses stored and replayed like any
// other. Middleware option. Default: they are not; the key is released so
// a retry runs the handler again.
func WithStoreServerErrors() Option {
	return mwOption("WithStoreServerErrors", func(c *config) error { c.storeServerErrs = true; return nil })
}

// WithWait makes a request whose key is in progress wait up to d for the
// first request to finish, then replay its response (or run, if the first
// one released the key). After d it gets 409 [KeyInProgress] as without
// the option. Middleware option. Default: no wait.
func WithWait(d time.Duration) Option {
	return mwOption("WithWait", func(c *config) error { c.wait = d; return positive("WithWait", d) })
}

// WithFailOpen makes the handler run without idempotency protection when
// the store fails to claim the key. Middleware option. Default: such a
// request gets 503 [StoreUnavailable] with Retry-After, because running it
// could repeat a side effect.
func WithFailOpen() Option {
	return mwOption("WithFailOpen", func(c *config) error { c.failOpen = true; return nil })
}

// WithStoreTimeout bounds every store call the middleware makes: the claim
// (a claim that does not answer in time gets 503 [StoreUnavailable] and the
// handler does not run), and the renewals, completion and release, which
// run even if the client has gone away. Calls to a [MemoryStore] never
// wait on a network and get no deadline. Middleware option. Default: 2
// seconds.
func WithStoreTimeout(d time.Duration) Option {
	return mwOption("WithStoreTimeout", func(c *config) error { c.storeTimeout = d; return positive("WithStoreTimeout", d) })
}

// WithStoreRetryAfter sets the Retry-After of the 503 written when the
// store fails. Middleware option. Default: 2 seconds.
func WithStoreRetryAfter(d time.Duration) Option {
	return mwOption("WithStoreRetryAfter", func(c *config) error {
		c.storeRetryAfter = d
		return positive("WithStoreRetryAfter", d)
	})
}

// WithReplayHeaders sets the response headers stored and replayed.
// Set-Cookie and hop-by-hop headers are never stored, even when listed.
// Middleware option. Default: Content-Type, Content-Encoding,
// Content-Language, Content-Location, Location, ETag, Last-Modified,
// Cache-Control, Expires, Vary, Link, Retry-After and Preference-Applied.
func WithReplayHeaders(names ...string) Option {
	return mwOption("WithReplayHeaders", func(c *config) error {
		c.replayHeaders = nil
		for _, n := range names {
			n = http.CanonicalHeaderKey(n)
			if !neverReplayed(n) {
				c.replayHeaders = append(c.replayHeaders, n)
			}
		}
		return nil
	})
}

// WithErrorWriter sets how errors are written, typically the service's
// *envelope.Writer. Middleware option. Default: the error writer in the
// request's context (see problem.WriteTo; the envelope middleware puts the
// API's writer there), else plain RFC 9457.
func WithErrorWriter(ew problem.ErrorWriter) Option {
	return mwOption("WithErrorWriter", func(c *config) error {
		if ew == nil {
			return fmt.Errorf("idempotency: WithErrorWriter: nil writer")
		}
		c.errorWriter = ew
		return nil
	})
}

// WithObserver reports what the middleware decides and how long store
// calls take, for metrics and logs (see [Event]). It is called
// synchronously on the request's goroutine (store calls also on the
// lease-renewal goroutine), so it must be fast and safe for concurrent use.
// Middleware option. Default: none.
func WithObserver(observe func(Event)) Option {
	return mwOption("WithObserver", func(c *config) error { c.observer = observe; return nil })
}

// neverReplayed reports headers that must not be stored: cookies (another
// client's session) and hop-by-hop headers (RFC 9110 §7.6.1), plus the
// framing headers the replay recomputes.
func neverReplayed(canonical string) bool {
	switch canonical {
	case "Set-Cookie", "Set-Cookie2", "Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding",
		"Upgrade", "Content-Length", ReplayedHeader:
		return true
	}
	return false
}
