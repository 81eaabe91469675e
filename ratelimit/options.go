package ratelimit

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// Option configures a [Limiter] (given to [New]) or a [MemoryStore]
// (given to [NewMemoryStore]). Each option's doc says which of the two it
// applies to; giving an option to the other constructor is an error.
type Option interface{ apply(*settings) }

// target says which constructor an option belongs to.
type target uint8

const (
	forLimiter target = 1 << iota
	forMemory
)

type option struct {
	name string
	to   target
	f    func(*settings)
}

func (o option) apply(s *settings) {
	if o.to&s.target == 0 {
		dest := "New"
		if o.to == forMemory {
			dest = "NewMemoryStore"
		}
		s.errs = append(s.errs, fmt.Errorf("ratelimit: %s is an option of %s", o.name, dest))
		return
	}
	o.f(s)
}

// settings holds what the options set, for either constructor.
type settings struct {
	target target
	errs   []error

	// Limiter.
	prefix   string
	key      func(*http.Request) string
	trusted  []netip.Prefix
	v6bits   int
	skip     func(*http.Request) bool
	cost     func(*http.Request) int64
	errw     problem.ErrorWriter
	ietf     bool
	failOpen bool
	observer func(Event)
	logger   *slog.Logger
	fallback Store
	replicas int64
	pkSecret []byte

	partial      bool
	concLimit    int64
	concLease    time.Duration
	concPolicy   string // the IETF RateLimit-Policy member of the limit
	tierPolicies map[string][]Policy
	tierFunc     func(*http.Request, string) string

	// MemoryStore.
	clock      func() time.Time
	maxEntries int
	sweepEvery time.Duration
	shards     int
}

func (s *settings) errorf(format string, args ...any) {
	s.errs = append(s.errs, fmt.Errorf("ratelimit: "+format, args...))
}

// WithKeyPrefix puts prefix in front of every key the limiter stores, so
// that limiters sharing a store do not share buckets. Two limiters with
// the same prefix and policy names on one store do share their buckets,
// which is how several replicas enforce one limit. It applies to [New].
// Default: "".
func WithKeyPrefix(prefix string) Option {
	return option{"WithKeyPrefix", forLimiter, func(s *settings) { s.prefix = prefix }}
}

// WithKey sets the function that names the caller: a partner ID, an API
// key, a user. An empty result falls back to the client address
// ([ClientIP]; IPv6 addresses by their prefix, see [WithIPv6Prefix]).
// Never key by a field the caller chooses freely unless it is
// authenticated. It applies to [New]. Default: the client address alone.
func WithKey(f func(r *http.Request) string) Option {
	return option{"WithKey", forLimiter, func(s *settings) {
		if f == nil {
			s.errorf("WithKey: nil function")
		}
		s.key = f
	}}
}

// WithTrustedProxies lists the proxies (CIDR prefixes; a single address
// is a /32 or /128) whose X-Forwarded-For and Forwarded fields the client
// address is taken from. It applies to [New]. Default: no proxy is
// trusted and the client address is the peer's.
func WithTrustedProxies(prefixes ...netip.Prefix) Option {
	return option{"WithTrustedProxies", forLimiter, func(s *settings) {
		s.trusted = append([]netip.Prefix(nil), prefixes...)
	}}
}

// WithIPv6Prefix sets how many leading bits (1 to 128) of an IPv6 client
// address form the default key: one host usually holds a whole /64, so
// limiting single addresses would be trivially evaded; 128 keys by full
// address. IPv4 addresses are always used whole. It applies to [New].
// Default: 64.
func WithIPv6Prefix(bits int) Option {
	return option{"WithIPv6Prefix", forLimiter, func(s *settings) {
		if bits < 1 || bits > 128 {
			s.errorf("WithIPv6Prefix: %d bits: want 1 to 128", bits)
		}
		s.v6bits = bits
	}}
}

// WithSkip exempts the requests for which f returns true (health checks,
// internal callers): they get no headers and consume nothing. It applies
// to [New]. Default: no request is exempt.
func WithSkip(f func(r *http.Request) bool) Option {
	return option{"WithSkip", forLimiter, func(s *settings) { s.skip = f }}
}

// WithCost sets the weight of a request, for example its size or the
// number of items in a batch (a negative weight counts as 1). A cost above
// the smallest burst can never be admitted and is answered with a 429
// that carries no Retry-After. It applies to [New]. Default: 1.
func WithCost(f func(r *http.Request) int64) Option {
	return option{"WithCost", forLimiter, func(s *settings) { s.cost = f }}
}

// WithErrorWriter sets the writer of 429 and 503 responses. It applies to
// [New]. Default: the writer in the request's context (see
// [problem.WriteTo]; the envelope middleware puts the API's writer there),
// else plain RFC 9457.
func WithErrorWriter(w problem.ErrorWriter) Option {
	return option{"WithErrorWriter", forLimiter, func(s *settings) { s.errw = w }}
}

// WithIETFHeaders turns the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers on or off. The X-RateLimit-*
// fields are always written. It applies to [New]. Default: on.
func WithIETFHeaders(on bool) Option {
	return option{"WithIETFHeaders", forLimiter, func(s *settings) { s.ietf = on }}
}

// WithPartitionKey adds the pk parameter of
// draft-ietf-httpapi-ratelimit-headers to every RateLimit-Policy member:
// the partition (caller) the quota belongs to, as a digest of the caller
// key, never the key itself: the first 12 bytes of HMAC-SHA256(secret,
// key), as a structured-field byte sequence. Replicas given the same
// secret write the same pk for a caller; secret must be at least 16 bytes.
// It applies to [New]. Default: no pk.
func WithPartitionKey(secret []byte) Option {
	return option{"WithPartitionKey", forLimiter, func(s *settings) {
		if len(secret) < 16 {
			s.errorf("WithPartitionKey: secret of %d bytes: want at least 16", len(secret))
		}
		s.pkSecret = append([]byte(nil), secret...)
	}}
}

// WithFailOpen admits requests, without rate-limit headers, when the store
// fails and no fallback decides ([WithFallback]): availability over
// enforcement. It applies to [New]. Default: fail closed, answering 503
// Service Unavailable with Retry-After (the store error's, or 1 second).
func WithFailOpen() Option {
	return option{"WithFailOpen", forLimiter, func(s *settings) { s.failOpen = true }}
}

// WithFallback makes the limiter decide with local, an in-process store
// (typically a [MemoryStore]), while its store fails, for example while
// Redis is down or misses its deadline. replicas is the number of
// processes sharing the limit: while they fall back, each enforces its
// share, every policy's limit and burst divided by replicas (rounded
// down, at least 1), so that the replicas together do not admit replicas
// times the limit. While the store works, every request it admits is
// counted in local too (at the share's rate), so that a replica that falls
// back in the middle of a burst continues from what it has admitted, not
// from a whole bucket. Every fallback decision emits an [EventFallback] event
// and a warning is logged (with [log/slog]'s default logger, at most one
// line per 10 seconds, counting the decisions in between). It applies to
// [New]. Default: no fallback; the store's failure is answered as
// [WithFailOpen] says.
func WithFallback(local Store, replicas int) Option {
	return option{"WithFallback", forLimiter, func(s *settings) {
		if local == nil || replicas < 1 {
			s.errorf("WithFallback: want a store and replicas ≥ 1, got %v and %d", local, replicas)
		}
		s.fallback, s.replicas = local, int64(replicas)
	}}
}

// WithTiers gives callers different policies: plans or tiers. tierOf
// names the tier of each request from the request and its caller key (r
// is nil for [Limiter.AllowN]); a name that is not in tiers, or "",
// selects the policies given to [New]. A per-key override is a lookup in
// tierOf (a map from key to tier, say). Every tier is checked as New checks
// its policies. Buckets are named by policy name, so a caller whose tier
// changes keeps the state of the policies whose names both tiers share.
// It applies to [New]. Default: one set of policies for every caller.
func WithTiers(tiers map[string][]Policy, tierOf func(r *http.Request, key string) string) Option {
	return option{"WithTiers", forLimiter, func(s *settings) {
		if tierOf == nil || len(tiers) == 0 {
			s.errorf("WithTiers: want tiers and a function that names them")
		}
		s.tierPolicies = make(map[string][]Policy, len(tiers))
		for name, ps := range tiers {
			s.tierPolicies[name] = append([]Policy(nil), ps...)
		}
		s.tierFunc = tierOf
	}}
}

// WithObserver sets a function called with every event worth counting: a
// denial, a store error, a fallback decision, a shadow denial, a lost
// concurrency slot (see [Event]). f must be fast. It runs on the
// request's goroutine, except for the events of a renewal of a
// [WithConcurrency] slot, which run on the renewal's timer while the
// handler runs: f must then only read the request. It applies to [New].
// Default: none.
func WithObserver(f func(Event)) Option {
	return option{"WithObserver", forLimiter, func(s *settings) { s.observer = f }}
}

// WithLogger sets the logger that receives the warning, at most one per
// 10 seconds, that the store failed and the local fallback decided
// ([WithFallback]). It applies to [New]. Default: slog.Default() as it is
// when New runs.
func WithLogger(l *slog.Logger) Option {
	return option{"WithLogger", forLimiter, func(s *settings) { s.logger = l }}
}

// WithClock makes the memory store read time from now; tests pass a fake
// clock. It applies to [NewMemoryStore]. Default: the monotonic clock,
// anchored to the wall clock when the store is made and realigned on every
// sweeper tick.
func WithClock(now func() time.Time) Option {
	return option{"WithClock", forMemory, func(s *settings) {
		if now == nil {
			s.errorf("WithClock: nil clock")
		}
		s.clock = now
	}}
}

// WithMaxEntries caps the number of keys the memory store holds (n ≥ 1).
// When a new key arrives at the cap, idle keys are evicted first; if none
// is idle, the new key is denied. It applies to [NewMemoryStore].
// Default: 1,000,000 (about 40 MB).
func WithMaxEntries(n int) Option {
	return option{"WithMaxEntries", forMemory, func(s *settings) {
		if n < 1 {
			s.errorf("WithMaxEntries: %d: want at least 1", n)
		}
		s.maxEntries = n
	}}
}

// WithSweepInterval sets how often the memory store's background sweeper
// passes over every shard; each tick of the sweeper visits one shard.
// Zero disables the sweeper: idle keys are then evicted only when the
// store is full. It applies to [NewMemoryStore]. Default: one minute.
func WithSweepInterval(d time.Duration) Option {
	return option{"WithSweepInterval", forMemory, func(s *settings) {
		if d < 0 {
			s.errorf("WithSweepInterval: negative interval %v", d)
		}
		s.sweepEvery = d
	}}
}

// WithShards sets the number of the memory store's shards, each with its
// own mutex, rounded up to a power of two (1 to 1<<20). It applies to
// [NewMemoryStore]. Default: 16 per CPU, at least 64.
func WithShards(n int) Option {
	return option{"WithShards", forMemory, func(s *settings) {
		if n < 1 || n > 1<<20 {
			s.errorf("WithShards: %d: want 1 to %d", n, 1<<20)
		}
		s.shards = n
	}}
}
