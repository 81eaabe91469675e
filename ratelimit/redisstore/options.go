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
	// DefaultCooldown is how long the store stops asking Redis after
	// repeated failures, failing (or using the fallback) at once instead.
	DefaultCooldown = time.Second
)

// Option configures a [Store].
type Option func(*config)

type config struct {
	prefix      string
	timeout     time.Duration
	cooldown    time.Duration
	fallback    ratelimit.Store
	hasFallback bool
	hashTag     func(key string) string
}

// WithPrefix sets the string every Redis key starts with (default
// [DefaultPrefix]). It must not contain '{' or '}', which would change the
// keys' hash slot on Redis Cluster.
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithTimeout bounds each decision: Redis must answer within d (default
// [DefaultTimeout]), or the decision fails (or goes to the fallback). A deadline of the
// caller's context that comes sooner wins.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithCooldown sets how long the store skips Redis, failing (or using the
// fallback) at once, after three decisions in a row failed (default
// [DefaultCooldown]); after it, one more failure starts a new cooldown.
// A Redis that hangs then costs a few deadlines, not one per request,
// while one slow reply alone changes nothing. Zero asks Redis on every
// decision.
func WithCooldown(d time.Duration) Option {
	return func(c *config) { c.cooldown = d }
}

// WithFallback makes the store decide with local, an in-process store
// (typically a [ratelimit.MemoryStore], which is bounded in memory), while
// Redis fails: limits are then enforced per process instead of across
// replicas, and no error reaches the limiter. Without a fallback, a Redis
// failure is returned as an error and the middleware's failure policy
// ([ratelimit.FailClosed], the default, or [ratelimit.FailOpen]) applies.
func WithFallback(local ratelimit.Store) Option {
	return func(c *config) {
		c.fallback = local
		c.hasFallback = true
	}
}

// WithHashTag sets the function that maps an item's key to the Redis
// Cluster hash tag of its Redis key. All items of one decision must map to
// the same tag (Redis Cluster runs a script only on keys of one slot), and
// one key must always map to the same tag. The default is
// [CallerTag]("").
func WithHashTag(tag func(key string) string) Option {
	return func(c *config) { c.hashTag = tag }
}

func newConfig(opts []Option) (config, error) {
	c := config{
		prefix:   DefaultPrefix,
		timeout:  DefaultTimeout,
		cooldown: DefaultCooldown,
		hashTag:  CallerTag(""),
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
	if c.hasFallback && c.fallback == nil {
		errs = append(errs, errors.New("redisstore: nil fallback store"))
	}
	if c.hashTag == nil {
		errs = append(errs, errors.New("redisstore: nil hash tag function"))
	}
	return c, errors.Join(errs...)
}
