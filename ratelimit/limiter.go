package ratelimit

import (
	"context"
	"errors"
	"fmt"
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
	salt      uint64 // the memory store's hash of keyPrefix
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
		c := compiled{name: name, keyPrefix: l.prefix + name + ":", interval: interval, tolerance: tolerance, burst: p.burst()}
		if l.mem != nil {
			c.salt = l.mem.hash(c.keyPrefix)
		}
		l.p = append(l.p, c)
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
	if n < 0 {
		return Decision{}, fmt.Errorf("ratelimit: negative cost %d", n)
	}
	if n > l.minBurst {
		return Decision{}, fmt.Errorf("%w: cost %d, burst %d", ErrCostExceedsBurst, n, l.minBurst)
	}
	if l.mem != nil && len(l.p) == 1 {
		c := &l.p[0]
		it := Item{Interval: c.interval, Tolerance: c.tolerance, Cost: n}
		var r Result
		now := l.mem.take1(memHash(l.mem.hash(key), c.salt), &it, &r)
		return Decision{
			Allowed: r.Allowed, lim: l, now: now, cost: max(n, 1), n: 1,
			ok: b2u(r.Allowed), tat: [MaxPolicies]int64{max(r.TAT, now)},
		}, nil
	}
	var d Decision
	if l.mem != nil {
		var items [MaxPolicies]Item
		var results [MaxPolicies]Result
		var hs [MaxPolicies]uint64
		hk := l.mem.hash(key)
		for i := range l.p {
			c := &l.p[i]
			hs[i] = memHash(hk, c.salt)
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

// memHash files a caller key (its hash hk) under one policy (the hash of
// its key prefix) in the memory store: a bijective mix (the finalizer of
// MurmurHash3) of the two, so that distinct pairs collide only as often
// as random 64-bit values do.
func memHash(hk, salt uint64) uint64 {
	h := hk ^ salt
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return fixHash(h)
}

// decide fills d from the store's results.
func (l *Limiter) decide(d *Decision, now, n int64, results []Result) {
	d.Allowed = true
	d.lim = l
	d.now = now
	d.cost = max(n, 1)
	d.n = uint8(len(results))
	for i, r := range results {
		d.Allowed = d.Allowed && r.Allowed
		d.ok |= b2u(r.Allowed) << i
		d.tat[i] = max(r.TAT, now)
	}
	if d.n == 1 {
		return
	}
	pick := d.PolicyAt(0)
	for i := 1; i < len(results); i++ {
		a := d.PolicyAt(i)
		if d.Allowed {
			if a.Remaining < pick.Remaining || a.Remaining == pick.Remaining && a.Reset > pick.Reset {
				d.policy, pick = uint8(i), a
			}
		} else if a.RetryAfter > pick.RetryAfter {
			d.policy, pick = uint8(i), a
		}
	}
}

// Decision is the outcome of one [Limiter.AllowN] call: whether the request
// is admitted and the state of every policy after the decision. The zero
// Decision denies and describes no policy.
type Decision struct {
	// Allowed reports whether the request is admitted (every policy
	// admitted it).
	Allowed bool

	n      uint8 // number of policies
	policy uint8 // index of the most restrictive
	ok     uint8 // bit i: policy i admitted
	lim    *Limiter
	now    int64
	cost   int64
	tat    [MaxPolicies]int64
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
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

// NumPolicies returns the number of policies the decision describes.
func (d *Decision) NumPolicies() int { return int(d.n) }

// PolicyAt returns the state of the i-th policy (in the limiter's order)
// after the decision; the zero PolicyState when i is out of range.
func (d *Decision) PolicyAt(i int) PolicyState {
	if i < 0 || i >= int(d.n) {
		return PolicyState{}
	}
	c := &d.lim.p[i]
	tat := d.tat[i]
	remaining := min(max((d.now+c.tolerance-tat)/c.interval, 0), c.burst)
	return PolicyState{
		Name:       c.name,
		Limit:      d.lim.policies[i].Limit,
		Period:     d.lim.policies[i].Period,
		Allowed:    d.ok>>i&1 == 1,
		Remaining:  remaining,
		Reset:      time.Duration(tat - d.now),
		RetryAfter: time.Duration(max(tat+d.cost*c.interval-c.tolerance-d.now, 0)),
	}
}

// Policies returns the state of every policy, in the limiter's order, in a
// new slice.
func (d *Decision) Policies() []PolicyState {
	out := make([]PolicyState, d.n)
	for i := range out {
		out[i] = d.PolicyAt(i)
	}
	return out
}

// Policy returns the state of the most restrictive policy, the one the
// X-RateLimit-* headers describe: for a denial, the denying policy that
// makes the caller wait longest; otherwise the one with the fewest
// remaining requests.
func (d *Decision) Policy() PolicyState { return d.PolicyAt(int(d.policy)) }

// Limit is Policy().Limit.
func (d *Decision) Limit() int64 {
	if d.n == 0 {
		return 0
	}
	return d.lim.policies[d.policy].Limit
}

// Remaining is Policy().Remaining.
func (d *Decision) Remaining() int64 { return d.PolicyAt(int(d.policy)).Remaining }

// Reset returns when the most restrictive policy's quota is whole again.
func (d *Decision) Reset() time.Time {
	if d.n == 0 {
		return time.Unix(0, d.now)
	}
	return time.Unix(0, d.tat[d.policy])
}

// RetryAfter returns how long a denied caller must wait before the same
// request can be admitted (assuming no other traffic on its key); 0 for an
// admitted request.
func (d *Decision) RetryAfter() time.Duration {
	if d.Allowed || d.n == 0 {
		return 0
	}
	return d.PolicyAt(int(d.policy)).RetryAfter
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
