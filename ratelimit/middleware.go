package ratelimit

import (
	"errors"
	"net/http"
	"net/netip"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// QuotaExceeded is the problem type registered by
// draft-ietf-httpapi-ratelimit-headers for requests over quota. It has the
// same code as [problem.RateLimitExceeded] (so errors.Is matches either)
// and an absolute type URI, which suits plain RFC 9457 responses written
// without a catalog base URI. Select it with [ProblemType].
var QuotaExceeded = problem.MustDefine("rate-limit/exceeded", http.StatusTooManyRequests,
	"Request cannot be satisfied as assigned quota has been exceeded",
	problem.WithType("https://iana.org/assignments/http-problem-types#quota-exceeded"))

// Problem extension members written on a 429.
const (
	// ExtRetryAfter holds the Retry-After value in whole seconds.
	ExtRetryAfter = "retryAfter"
	// ExtViolatedPolicies names the policies that denied the request, as
	// the draft's quota-exceeded problem type defines.
	ExtViolatedPolicies = "violated-policies"
)

// MiddlewareOption configures [Middleware].
type MiddlewareOption interface{ applyMiddleware(*middleware) }

type middlewareOptionFunc func(*middleware)

func (f middlewareOptionFunc) applyMiddleware(m *middleware) { f(m) }

type middleware struct {
	limiter   *Limiter
	key       func(*http.Request) string
	trusted   []netip.Prefix
	v6bits    int
	skip      func(*http.Request) bool
	cost      func(*http.Request) int64
	errw      problem.ErrorWriter
	ietf      bool
	failOpen  bool
	failRetry time.Duration
	onError   func(*http.Request, error)
	def       problem.Definition
	next      http.Handler
}

// Key sets the function that names the caller: a partner ID, an API key,
// a user. An empty result falls back to the client address ([ClientIP];
// IPv6 addresses by their /64, see [IPv6Prefix]). The default is the
// client address alone.
func Key(f func(r *http.Request) string) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) { m.key = f })
}

// TrustedProxies lists the proxies (CIDR prefixes; a single address is a
// /32 or /128) whose X-Forwarded-For and Forwarded fields the client
// address is taken from. By default no proxy is trusted and the client
// address is the peer's.
func TrustedProxies(prefixes ...netip.Prefix) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) {
		m.trusted = append([]netip.Prefix(nil), prefixes...)
	})
}

// IPv6Prefix sets how many leading bits of an IPv6 client address form
// the default key (default 64: one host usually holds a whole /64, so
// limiting single addresses would be trivially evaded; 128 keys by full
// address). IPv4 addresses are always used whole.
func IPv6Prefix(bits int) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) {
		if bits >= 1 && bits <= 128 {
			m.v6bits = bits
		}
	})
}

// Skip exempts the requests for which f returns true (health checks,
// internal callers): they get no headers and consume nothing.
func Skip(f func(r *http.Request) bool) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) { m.skip = f })
}

// Cost sets the weight of a request (default 1; a negative weight counts
// as 1). A cost above the smallest burst can never be admitted and is
// answered with a 429 that carries no Retry-After.
func Cost(f func(r *http.Request) int64) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) { m.cost = f })
}

// ErrorWriter sets the writer of 429 and 503 responses (default
// problem.Writer{}, plain RFC 9457).
func ErrorWriter(w problem.ErrorWriter) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) {
		if w != nil {
			m.errw = w
		}
	})
}

// ProblemType sets the definition of the 429 problem (default
// [problem.RateLimitExceeded]; [QuotaExceeded] is the IANA-registered
// type).
func ProblemType(def problem.Definition) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) {
		if !def.IsZero() {
			m.def = def
		}
	})
}

// IETFHeaders turns the RateLimit-Policy and RateLimit fields on (the
// default) or off. The X-RateLimit-* fields are always written.
func IETFHeaders(on bool) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) { m.ietf = on })
}

// FailClosed answers requests with 503 Service Unavailable and Retry-After
// retryAfter (at least one second) when the store fails: the safe choice,
// and the default (with one second).
func FailClosed(retryAfter time.Duration) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) {
		m.failOpen = false
		m.failRetry = max(retryAfter, time.Second)
	})
}

// FailOpen admits requests, without rate-limit headers, when the store
// fails: availability over enforcement.
func FailOpen() MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) { m.failOpen = true })
}

// OnStoreError sets a function called with every store error (for logs and
// metrics), before the failure policy applies.
func OnStoreError(f func(r *http.Request, err error)) MiddlewareOption {
	return middlewareOptionFunc(func(m *middleware) { m.onError = f })
}

// Middleware returns net/http middleware that admits or denies each
// request with l, keyed by caller.
//
// Every decided response carries X-RateLimit-Limit, X-RateLimit-Remaining
// and X-RateLimit-Reset and, unless turned off, the IETF RateLimit-Policy
// and RateLimit fields, set once before the handler runs. A denied request
// gets Retry-After and a 429 problem written by the error writer, carrying
// the retry time (RetryAfter and the [ExtRetryAfter] extension) and the
// names of the denying policies ([ExtViolatedPolicies]); the handler does
// not run. When the store fails, the failure policy applies ([FailClosed]
// by default, or [FailOpen]).
func Middleware(l *Limiter, opts ...MiddlewareOption) func(http.Handler) http.Handler {
	if l == nil {
		panic("ratelimit: Middleware with a nil Limiter")
	}
	base := middleware{
		limiter:   l,
		errw:      problem.Writer{},
		ietf:      true,
		failRetry: time.Second,
		def:       problem.RateLimitExceeded,
		v6bits:    64,
	}
	for _, o := range opts {
		o.applyMiddleware(&base)
	}
	return func(next http.Handler) http.Handler {
		m := base
		m.next = next
		return &m
	}
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.skip != nil && m.skip(r) {
		m.next.ServeHTTP(w, r)
		return
	}
	key := ""
	if m.key != nil {
		key = m.key(r)
	}
	if key == "" {
		key = m.ipKey(r)
	}
	cost := int64(1)
	if m.cost != nil {
		if cost = m.cost(r); cost < 0 {
			cost = 1
		}
	}
	d, err := m.limiter.AllowN(r.Context(), key, cost)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	h := w.Header()
	SetHeaders(h, &d)
	if m.ietf {
		SetIETFHeaders(h, &d)
	}
	if d.Allowed {
		m.next.ServeHTTP(w, r)
		return
	}
	secs := retryAfterSeconds(d.RetryAfter())
	var violated []string
	for i := range d.NumPolicies() {
		if s := d.PolicyAt(i); !s.Allowed {
			violated = append(violated, s.Name)
		}
	}
	p := m.def.New("Too many requests; retry after "+formatSeconds(secs)+".").
		WithRetryAfter(time.Duration(secs)*time.Second).
		WithExtension(ExtRetryAfter, secs).
		WithExtension(ExtViolatedPolicies, violated).
		WithInstance(r.URL.Path)
	m.errw.WriteError(w, r, p)
}

// ipKey is the default key: the client address, IPv6 ones cut to the
// configured prefix.
func (m *middleware) ipKey(r *http.Request) string {
	ip := ClientIP(r, m.trusted)
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && m.v6bits < 128 {
		if p, err := a.Prefix(m.v6bits); err == nil {
			return "ip:" + p.String()
		}
	}
	return "ip:" + ip
}

// fail applies the failure policy to a limiter error.
func (m *middleware) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrCostExceedsBurst) {
		p := m.def.New("The request costs more than the rate limit allows at once.").
			WithInstance(r.URL.Path)
		p.Retryable = false
		m.errw.WriteError(w, r, p)
		return
	}
	if m.onError != nil {
		m.onError(r, err)
	}
	if m.failOpen {
		m.next.ServeHTTP(w, r)
		return
	}
	secs := retryAfterSeconds(m.failRetry)
	w.Header().Set(HeaderRetryAfter, formatSeconds(secs))
	p := problem.ServiceUnavailable.Wrap(err, "Rate limiting is unavailable; retry later.").
		WithRetryAfter(time.Duration(secs) * time.Second)
	m.errw.WriteError(w, r, p)
}

func formatSeconds(s int64) string {
	if s == 1 {
		return "1 second"
	}
	return itoa(s) + " seconds"
}
