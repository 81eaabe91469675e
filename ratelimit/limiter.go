package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"
)

// MaxPolicies is the largest number of policies one [Limiter] enforces.
const MaxPolicies = 4

// ErrCostExceedsBurst is returned by [Limiter.AllowN] for a cost that no
// policy state could ever admit: larger than the smallest burst.
var ErrCostExceedsBurst = errors.New("ratelimit: cost exceeds the burst of a policy")

// Limiter decides whether a caller may make a request, under one or more
// policies kept in a [Store]. A request is admitted only if every policy
// admits it, and a denied request consumes no quota of any policy. A
// Limiter is safe for concurrent use.
type Limiter struct {
	store    Store
	mem      *MemoryStore // the store, when it is the memory store: a faster path
	prefix   string
	policies []Policy
	p        []compiled
	minBurst int64
	scratch  sync.Pool
}

type compiled struct {
	name      string
	keyPrefix string // prefix + name + ":"
	interval  int64
	tolerance int64
	burst     int64
}

type scratch struct {
	items   [MaxPolicies]Item
	results [MaxPolicies]Result
}

// Option configures a [Limiter].
type Option interface{ applyLimiter(*Limiter) }

type limiterOptionFunc func(*Limiter)

func (f limiterOptionFunc) applyLimiter(l *Limiter) { f(l) }

// KeyPrefix puts prefix in front of every key the limiter stores, so that
// limiters sharing a store do not share buckets. The stored key of a caller
// is prefix + policy name + ":" + caller key. Two limiters with the same
// prefix and policy names on one store do share their buckets, which is
// how several replicas enforce one limit.
func KeyPrefix(prefix string) Option {
	return limiterOptionFunc(func(l *Limiter) { l.prefix = prefix })
}

// New returns a limiter enforcing policies (1 to [MaxPolicies], with unique
// names) over store.
func New(store Store, policies []Policy, opts ...Option) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("ratelimit: nil store")
	}
	if len(policies) == 0 || len(policies) > MaxPolicies {
		return nil, fmt.Errorf("ratelimit: %d policies: want 1 to %d", len(policies), MaxPolicies)
	}
	l := &Limiter{store: store, policies: append([]Policy(nil), policies...)}
	l.mem, _ = store.(*MemoryStore)
	for _, o := range opts {
		o.applyLimiter(l)
	}
	seen := map[string]bool{}
	for i, p := range l.policies {
		interval, tolerance, err := p.params()
		if err != nil {
			return nil, fmt.Errorf("policy %d: %w", i, err)
		}
		name := p.name()
		if err := checkName(name); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: duplicate name %q", ErrInvalidPolicy, name)
		}
		seen[name] = true
		l.policies[i].Name = name
		l.p = append(l.p, compiled{name, l.prefix + name + ":", interval, tolerance, p.burst()})
		if i == 0 || p.burst() < l.minBurst {
			l.minBurst = p.burst()
		}
	}
	l.scratch.New = func() any { return new(scratch) }
	return l, nil
}

// MustNew is like [New] but panics on an error; for policies written in
// the program.
func MustNew(store Store, policies []Policy, opts ...Option) *Limiter {
	l, err := New(store, policies, opts...)
	if err != nil {
		panic(err)
	}
	return l
}

// checkName accepts names that fit in a structured-field string and do not
// contain the key separator.
func checkName(name string) error {
	if len(name) > 64 {
		return fmt.Errorf("%w: name %q is longer than 64 bytes", ErrInvalidPolicy, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c > 0x7e || c == ':' || c == '"' || c == '\\' {
			return fmt.Errorf("%w: name %q: want printable ASCII without : \" or \\", ErrInvalidPolicy, name)
		}
	}
	return nil
}

// Policies returns the limiter's policies (with their effective names), in
// a new slice.
func (l *Limiter) Policies() []Policy { return append([]Policy(nil), l.policies...) }

// Allow is AllowN(ctx, key, 1).
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	return l.AllowN(ctx, key, 1)
}

// AllowN decides a request of cost n (a weight: 1 for an ordinary request;
// 0 only reads the state) by the caller key. It returns the decision and a
// non-nil error when the store failed (the decision is then a denial with
// no state) or n is negative or larger than the smallest burst
// ([ErrCostExceedsBurst]: such a request can never be admitted).
func (l *Limiter) AllowN(ctx context.Context, key string, n int64) (Decision, error) {
	var d Decision
	if n < 0 {
		return d, fmt.Errorf("ratelimit: negative cost %d", n)
	}
	if n > l.minBurst {
		return d, fmt.Errorf("%w: cost %d, burst %d", ErrCostExceedsBurst, n, l.minBurst)
	}
	if l.mem != nil {
		var items [MaxPolicies]Item
		var results [MaxPolicies]Result
		var hs [MaxPolicies]uint64
		var h maphash.Hash
		h.SetSeed(l.mem.seed)
		for i := range l.p {
			c := &l.p[i]
			h.Reset()
			h.WriteString(c.keyPrefix)
			h.WriteString(key)
			hs[i] = h.Sum64()
			items[i] = Item{Interval: c.interval, Tolerance: c.tolerance, Cost: n}
		}
		m := len(l.p)
		now := l.mem.take(hs[:m], items[:m], results[:m])
		l.decide(&d, now, n, results[:m])
		return d, nil
	}
	s := l.scratch.Get().(*scratch)
	defer l.scratch.Put(s)
	m := len(l.p)
	for i := range l.p {
		c := &l.p[i]
		s.items[i] = Item{Key: c.keyPrefix + key, Interval: c.interval, Tolerance: c.tolerance, Cost: n}
	}
	now, err := l.store.Take(ctx, s.items[:m], s.results[:m])
	clear(s.items[:m]) // drop the keys
	if err != nil {
		return d, fmt.Errorf("ratelimit: store: %w", err)
	}
	l.decide(&d, now, n, s.results[:m])
	return d, nil
}

// decide fills d from the store's results.
func (l *Limiter) decide(d *Decision, now, n int64, results []Result) {
	d.Allowed = true
	for _, r := range results {
		d.Allowed = d.Allowed && r.Allowed
	}
	d.now = now
	d.n = len(results)
	cost := max(n, 1)
	pick := 0
	for i, r := range results {
		c := &l.p[i]
		tat := max(r.TAT, now)
		remaining := (now + c.tolerance - tat) / c.interval
		remaining = min(max(remaining, 0), c.burst)
		retry := max(tat+cost*c.interval-c.tolerance-now, 0)
		d.states[i] = PolicyState{
			Name: c.name, Limit: l.policies[i].Limit, Period: l.policies[i].Period,
			Allowed: r.Allowed, Remaining: remaining,
			Reset: time.Duration(tat - now), RetryAfter: time.Duration(retry),
		}
		if i == 0 {
			continue
		}
		a, b := &d.states[i], &d.states[pick]
		if d.Allowed {
			if a.Remaining < b.Remaining || a.Remaining == b.Remaining && a.Reset > b.Reset {
				pick = i
			}
		} else if a.RetryAfter > b.RetryAfter {
			pick = i
		}
	}
	d.policy = pick
}

// Decision is the outcome of one [Limiter.AllowN] call: whether the request
// is admitted and the state of every policy after the decision.
type Decision struct {
	// Allowed reports whether the request is admitted (every policy
	// admitted it).
	Allowed bool

	now    int64
	policy int
	n      int
	states [MaxPolicies]PolicyState
}

// PolicyState is the state of one policy after a decision.
type PolicyState struct {
	// Name, Limit and Period describe the policy.
	Name   string
	Limit  int64
	Period time.Duration
	// Allowed reports whether this policy alone admitted the request.
	Allowed bool
	// Remaining is how many requests of cost 1 the policy would admit now.
	Remaining int64
	// Reset is the time until the policy's quota is whole again.
	Reset time.Duration
	// RetryAfter is the time until a request of the same cost would be
	// admitted by this policy; 0 when it would be now.
	RetryAfter time.Duration
}

// Time returns the store's instant of the decision.
func (d *Decision) Time() time.Time { return time.Unix(0, d.now) }

// Policies returns the state of every policy, in the limiter's order. The
// slice shares d's memory.
func (d *Decision) Policies() []PolicyState { return d.states[:d.n] }

// Policy returns the state of the most restrictive policy, the one the
// X-RateLimit-* headers describe: for a denial, the denying policy that
// makes the caller wait longest; otherwise the one with the fewest
// remaining requests.
func (d *Decision) Policy() PolicyState { return d.states[d.policy] }

// Limit is Policy().Limit.
func (d *Decision) Limit() int64 { return d.states[d.policy].Limit }

// Remaining is Policy().Remaining.
func (d *Decision) Remaining() int64 { return d.states[d.policy].Remaining }

// Reset returns when the most restrictive policy's quota is whole again.
func (d *Decision) Reset() time.Time { return time.Unix(0, d.now+int64(d.states[d.policy].Reset)) }

// RetryAfter returns how long a denied caller must wait before the same
// request can be admitted (assuming no other traffic on its key); 0 for an
// admitted request.
func (d *Decision) RetryAfter() time.Duration {
	if d.Allowed || d.n == 0 {
		return 0
	}
	return d.states[d.policy].RetryAfter
}

// String describes the decision for logs.
func (d *Decision) String() string {
	var b strings.Builder
	if d.Allowed {
		b.WriteString("allowed")
	} else {
		b.WriteString("denied")
	}
	if d.n > 0 {
		p := d.Policy()
		fmt.Fprintf(&b, " by %q: remaining %d, reset %v", p.Name, p.Remaining, p.Reset)
		if ra := d.RetryAfter(); ra > 0 {
			fmt.Fprintf(&b, ", retry after %v", ra)
		}
	}
	return b.String()
}
