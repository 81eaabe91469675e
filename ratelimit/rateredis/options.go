package rateredis

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

const (
	defaultPrefix   = "ratelimit:"
	defaultTimeout  = 500 * time.Millisecond
	defaultCooldown = time.Second
)

// Option configures a [Store].
type Option func(*config)

type config struct {
	prefix   string
	timeout  time.Duration
	cooldown time.Duration
}

// WithPrefix sets the string every Redis key starts with, which keeps the
// store's keys apart from the rest of the database. It must not contain
// '{' or '}', which would change the keys' hash slot on Redis Cluster.
// Default: "ratelimit:".
func WithPrefix(prefix string) Option {
	return func(c *config) { c.prefix = prefix }
}

// WithTimeout bounds each decision: Redis must answer within d, or the
// decision fails (and the limiter's fallback, if any, decides; see
// [ratelimit.WithFallback]). A deadline of the caller's context that comes
// sooner wins. The deadline runs from the moment a decision's batch is
// sent: it bounds Redis, not a process busy with a burst (500 concurrent
// requests over 3 replicas on a loaded 2-core machine took up to about
// 450 ms of wall time in all, and a 100 ms deadline made replicas fall
// back while Redis was healthy). Default: 500 ms.
func WithTimeout(d time.Duration) Option {
	return func(c *config) { c.timeout = d }
}

// WithCooldown sets how long the store skips Redis, failing at once,
// after three decisions in a row failed; after it, one more failure
// starts a new cooldown. A Redis that hangs then costs a few deadlines,
// not one per request, while one slow reply alone changes nothing. Zero
// asks Redis on every decision. Default: 1 second.
func WithCooldown(d time.Duration) Option {
	return func(c *config) { c.cooldown = d }
}

func newConfig(opts []Option) (config, error) {
	c := config{
		prefix:   defaultPrefix,
		timeout:  defaultTimeout,
		cooldown: defaultCooldown,
	}
	for _, o := range opts {
		if o == nil {
			return c, errors.New("rateredis: nil option")
		}
		o(&c)
	}
	var errs []error
	if strings.ContainsAny(c.prefix, "{}") {
		errs = append(errs, fmt.Errorf("rateredis: prefix %q contains '{' or '}'", c.prefix))
	}
	if c.timeout <= 0 {
		errs = append(errs, fmt.Errorf("rateredis: timeout %v is not positive", c.timeout))
	}
	if c.cooldown < 0 {
		errs = append(errs, fmt.Errorf("rateredis: cooldown %v is negative", c.cooldown))
	}
	return c, errors.Join(errs...)
}
