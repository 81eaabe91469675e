package idempotency

import (
	"net/http"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// Defaults of the middleware.
const (
	DefaultHeader           = "Idempotency-Key"
	DefaultLease            = 10 * time.Second
	DefaultRetention        = 24 * time.Hour
	DefaultMaxBodyBytes     = 1 << 20
	DefaultMaxResponseBytes = 1 << 20
	DefaultStoreTimeout     = 5 * time.Second
	DefaultStoreRetryAfter  = 2 * time.Second
)

// ReplayedHeader is the response header set to "true" on a replayed
// response.
const ReplayedHeader = "Idempotent-Replayed"

// Option configures the middleware made by [New].
type Option func(*config)

type config struct {
	header          string
	methods         map[string]bool
	required        bool
	validator       func(string) error
	scope           func(*http.Request) (string, error) // nil: DefaultScope
	route           func(*http.Request) string          // nil: pattern or method and path
	lease           time.Duration
	retention       time.Duration
	maxBody         int64
	maxResponse     int
	storeServerErrs bool
	wait            time.Duration
	failOpen        bool
	storeTimeout    time.Duration
	storeRetryAfter time.Duration
	replayHeaders   []string
	errorWriter     problem.ErrorWriter
	observer        Observer
}

func defaultConfig() config {
	return config{
		header:          DefaultHeader,
		methods:         map[string]bool{http.MethodPost: true, http.MethodPatch: true},
		lease:           DefaultLease,
		retention:       DefaultRetention,
		maxBody:         DefaultMaxBodyBytes,
		maxResponse:     DefaultMaxResponseBytes,
		storeTimeout:    DefaultStoreTimeout,
		storeRetryAfter: DefaultStoreRetryAfter,
		replayHeaders:   DefaultReplayHeaders(),
		errorWriter:     problem.Writer{},
	}
}

// WithHeader sets the request header that carries the key (default
// [DefaultHeader], "Idempotency-Key").
func WithHeader(name string) Option {
	return func(c *config) {
		if name != "" {
			c.header = http.CanonicalHeaderKey(name)
		}
	}
}

// WithMethods sets the methods the middleware acts on (default POST and
// PATCH). Requests with other methods pass through untouched, key or not.
func WithMethods(methods ...string) Option {
	return func(c *config) {
		c.methods = make(map[string]bool, len(methods))
		for _, m := range methods {
			c.methods[m] = true
		}
	}
}

// RequireKey makes the key mandatory for the middleware's methods: a
// request without one gets 400 [MissingKey]. By default a request without a
// key runs normally, without protection.
func RequireKey() Option {
	return func(c *config) { c.required = true }
}

// WithValidator adds a check of the key's format, after the built-in ones
// (1–255 printable ASCII characters); [ValidateUUIDv4] is one. A refused key
// gets 400: the validator's error if it is a *problem.Problem, else
// [InvalidKey].
func WithValidator(validate func(key string) error) Option {
	return func(c *config) { c.validator = validate }
}

// WithScope sets how requests are attributed to callers: keys are only
// ever matched within one scope. scope returns a string identifying the
// caller (a tenant or account ID, typically from the request's context); an
// error is written through the error writer and the request is not run.
// The default is [DefaultScope], which refuses keyed requests without
// credentials; a service with anonymous endpoints passes a scope that
// identifies their callers some other way (a device or session ID it
// issued), never a shared value such as a proxy's address.
func WithScope(scope func(r *http.Request) (string, error)) Option {
	return func(c *config) {
		if scope != nil {
			c.scope = scope
		}
	}
}

// WithRoute sets how requests are attributed to routes: a key is only
// matched within one route. The default is the request's ServeMux pattern
// (r.Pattern, set when the middleware wraps a handler registered on a
// ServeMux) or, when there is none, method and path. Within a route, a key
// reused with another method, path, query or body is a 422 mismatch.
func WithRoute(route func(r *http.Request) string) Option {
	return func(c *config) {
		if route != nil {
			c.route = route
		}
	}
}

// WithLease sets how long a claim on a key lasts without renewal (default
// [DefaultLease]). While the handler runs, the lease is renewed every third
// of it; after a crash the key is usable again once it runs out.
func WithLease(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.lease = d
		}
	}
}

// WithRetention sets how long a completed response is kept for replay
// (default [DefaultRetention], 24 hours).
func WithRetention(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.retention = d
		}
	}
}

// WithMaxBodyBytes sets the largest request body accepted with a key
// (default [DefaultMaxBodyBytes]); the body is read in full to fingerprint
// it, and a larger one gets 413 before the key is claimed.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithMaxResponseBytes sets the largest response body stored for replay
// (default [DefaultMaxResponseBytes]). A larger response is still sent in
// full, but only a marker is stored: a retry gets 409 [ResponseNotStored],
// never a second execution.
func WithMaxResponseBytes(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxResponse = n
		}
	}
}

// StoreServerErrors makes 5xx responses stored and replayed like any
// other. By default they are not: the key is released so a retry runs the
// handler again.
func StoreServerErrors() Option {
	return func(c *config) { c.storeServerErrs = true }
}

// WithWait makes a request whose key is in progress wait up to d for the
// first request to finish, then replay its response (or run, if the first
// one released the key). After d it gets 409 [KeyInProgress] as without
// the option.
func WithWait(d time.Duration) Option {
	return func(c *config) { c.wait = max(d, 0) }
}

// FailOpen makes the handler run without idempotency protection when the
// store fails to claim the key. By default such a request gets 503
// [StoreUnavailable] with Retry-After, because running it could repeat a
// side effect.
func FailOpen() Option {
	return func(c *config) { c.failOpen = true }
}

// WithStoreTimeout bounds each store call the middleware makes after the
// request's context may be gone (renewing, completing, releasing; default
// [DefaultStoreTimeout]).
func WithStoreTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.storeTimeout = d
		}
	}
}

// WithStoreRetryAfter sets the Retry-After of the 503 written when the
// store fails (default [DefaultStoreRetryAfter]).
func WithStoreRetryAfter(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.storeRetryAfter = d
		}
	}
}

// WithReplayHeaders sets the response headers stored and replayed (default
// [DefaultReplayHeaders]). Set-Cookie and hop-by-hop headers are never
// stored, even when listed.
func WithReplayHeaders(names ...string) Option {
	return func(c *config) {
		c.replayHeaders = c.replayHeaders[:0:0]
		for _, n := range names {
			n = http.CanonicalHeaderKey(n)
			if !neverReplayed(n) {
				c.replayHeaders = append(c.replayHeaders, n)
			}
		}
	}
}

// WithErrorWriter sets how errors are written (default problem.Writer{},
// plain RFC 9457), typically the service's *envelope.Writer.
func WithErrorWriter(ew problem.ErrorWriter) Option {
	return func(c *config) {
		if ew != nil {
			c.errorWriter = ew
		}
	}
}

// WithObserver reports what the middleware decides and how long store calls
// take, for metrics and logs.
func WithObserver(o Observer) Option {
	return func(c *config) { c.observer = o }
}

// DefaultReplayHeaders returns the response headers stored and replayed by
// default: the representation and caching metadata a client may act on.
func DefaultReplayHeaders() []string {
	return []string{
		"Content-Type", "Content-Encoding", "Content-Language", "Content-Location",
		"Location", "Etag", "Last-Modified", "Cache-Control", "Expires", "Vary", "Link",
		"Retry-After", "Preference-Applied",
	}
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
