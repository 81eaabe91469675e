package redisstore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apikit-go/apikit/ratelimit"
)

// Defaults of [New].
const (
	// DefaultPrefix starts every key the store writes.
	DefaultPrefix = "ratelimit:"
	// DefaultTimeout bounds each decision's round trip to Redis.
	DefaultTimeout = 100 * time.Millisecond
	// DefaultCooldown is how long the store stops asking Redis after a
	// failure, applying the failure policy straight away instead.
	DefaultCooldown = time.Second
)

// FailurePolicy is what [Store.Take] does when Redis does not answer in
// time (down, unreachable, slow, or answering with an error).
type FailurePolicy int

const (
	// FailClosed returns an error (a 503 problem with Retry-After, see
	// [Store.Take]) so that the request is refused. It is the default.
	FailClosed FailurePolicy = iota
	// FailOpen admits every request while Redis fails.
	FailOpen
	// FailLocal decides with the local store given by [WithFallback]:
	// limits are then enforced per process instead of across replicas.
	FailLocal
)

// String returns the policy's name.
func (p FailurePolicy) String() string {
	switch p {
	case FailClosed:
		return "fail-closed"
	case FailOpen:
		return "fail-open"
	case FailLocal:
		return "fail-local"
	}
	return fmt.Sprintf("FailurePolicy(%d)", int(p))
}

// Option configures a [Store].
type Option func(*config)

type config struct {
	prefix   string
	timeout  time.Duration
	cooldown time.Duration
	policy   FailurePolicy
	fallback ratelimit.Store
	hashTag  func(key string) string
}

// WithPrefix sets the string every Redis key starts with (default
// [DefaultPrefix]). It must not contain '{' or '}', which would change the
// keys' hash slot on Redis Cluster.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithTimeout bounds each decision: Redis must answer within d (default
// [DefaultTimeout]), or the failure policy decides. A deadline of the
// caller's context that comes sooner wins.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithCooldown sets how long the store skips Redis after a failure and
// applies the failure policy at once (default [DefaultCooldown]), so that
// a Redis that hangs costs one deadline, not one per request. Zero asks
// Redis on every decision.
func WithCooldown(d time.Duration) Option {
	return func(c *config) { c.cooldown = d }
}

// WithFailurePolicy sets what happens when Redis fails (default
// [FailClosed]). [FailLocal] also needs [WithFallback].
func WithFailurePolicy(p FailurePolicy) Option {
	return func(c *config) { c.policy = p }
}

// WithFallback sets the in-process store that decides while Redis fails
// and selects [FailLocal]. It should be bounded in memory, as
// ratelimit's memory store is.
func WithFallback(local ratelimit.Store) Option {
	return func(c *config) {
		c.fallback = local
		c.policy = FailLocal
	}
}

// WithHashTag sets the function that maps an item's key to the Redis
// Cluster hash tag of its Redis key. All items of one decision must map to
// the same tag (Redis Cluster runs a script only on keys of one slot), and
// one key must always map to the same tag. The default is
// [ratelimit.Item]'s caller part, see the package documentation.
func WithHashTag(tag func(key string) string) Option {
	return func(c *config) { c.hashTag = tag }
}

func newConfig(opts []Option) (config, error) {
	c := config{
		prefix:   DefaultPrefix,
		timeout:  DefaultTimeout,
		cooldown: DefaultCooldown,
		hashTag:  defaultHashTag,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	var errs []error
	if strings.ContainsAny(c.prefix, "{}") {
		errs = append(errs, fmt.Errorf("redisstore: prefix %q contains '{' or '}'", c.prefix))
	}
	if c.timeout <= 0 {
		errs = append(errs, fmt.Errorf("redisstore: timeout %v is not positive", c.timeout))
	}
	if c.cooldown < 0 {
		errs = append(errs, fmt.Errorf("redisstore: cooldown %v is negative", c.cooldown))
	}
	switch c.policy {
	case FailClosed, FailOpen:
	case FailLocal:
		if c.fallback == nil {
			errs = append(errs, errors.New("redisstore: fail-local policy without a fallback store (use WithFallback)"))
		}
	default:
		errs = append(errs, fmt.Errorf("redisstore: unknown failure policy %d", int(c.policy)))
	}
	if c.hashTag == nil {
		errs = append(errs, errors.New("redisstore: nil hash tag function"))
	}
	return c, errors.Join(errs...)
}
