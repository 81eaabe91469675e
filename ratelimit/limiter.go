package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxPolicies is the largest number of policies one [Limiter] enforces.
const maxPolicies = 4

// ErrCostExceedsBurst is returned by [Limiter.AllowN] for a cost that no
// policy state could ever admit: larger than the smallest burst.
var ErrCostExceedsBurst = errors.New("ratelimit: cost exceeds the burst of a policy")

// Limiter decides whether a caller may make a request, under one to four
// policies kept in a [Store] (per tier with [WithTiers]), and is the HTTP
// middleware that applies those decisions ([Limiter.Handler]). A request
// is admitted only if every enforced policy admits it, and a denied
// request consumes no quota of any policy. A Limiter is safe for
// concurrent use.
type Limiter struct {
	settings
	tier                     // the policies given to New
	tiers   map[string]*tier // WithTiers
	store   Store
	mem     *MemoryStore // the store, when it is the memory store: a faster path
	renewer leaseRenewer // the store, when WithConcurrency's slots are leases
	scratch sync.Pool
	warn    warnLimiter
}

// tier is one set of policies, compiled.
type tier struct {
	p        []compiled // the enforced policies
	sp       []compiled // the shadow policies
	fp       []compiled // the fallback's share of each enforced policy
	minBurst int64
	hdr      headerConsts // of p
	fhdr     headerConsts // of fp
	enf      policySet    // p and hdr
	fb       policySet    // fp and fhdr
	shadow   policySet    // sp, without headers
}

// policySet is what a Decision refers to: the policies decided and their
// header values (nil for shadow policies, which appear in no header).
type policySet struct {
	p   []compiled
	hdr *headerConsts
}

type compiled struct {
	name      string
	keyPrefix string // prefix + name + ":"
	limit     int64
	period    time.Duration
	interval  int64
	tolerance int64
	burst     int64
	salt      uint64 // the memory store's hash of keyPrefix
	unit      string // the IETF qu parameter, "" for requests
	ietfQ     int64  // the IETF q and w parameters
	ietfW     int64
}

type scratch struct {
	items   [maxPolicies]Item
	results [maxPolicies]Result
	key     []byte
}

// New returns a limiter enforcing policies (1 to 4, with unique names)
// over store, configured by opts. Every option is checked here: a bad one
// is an error, never a failure at request time.
func New(store Store, policies []Policy, opts ...Option) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("ratelimit: nil store")
	}
	if len(policies) == 0 || len(policies) > maxPolicies {
		return nil, fmt.Errorf("ratelimit: %d policies: want 1 to %d", len(policies), maxPolicies)
	}
	l := &Limiter{store: store}
	l.settings = settings{target: forLimiter, ietf: true, v6bits: 64}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("ratelimit: nil option")
		}
		o.apply(&l.settings)
	}
	if err := errors.Join(l.errs...); err != nil {
		return nil, err
	}
	l.errs = nil
	if l.logger == nil {
		l.logger = slog.Default()
	}
	if strings.ContainsAny(l.prefix, "{}") {
		return nil, fmt.Errorf("ratelimit: key prefix %q contains '{' or '}'", l.prefix)
	}
	l.mem, _ = store.(*MemoryStore)
	if _, ok := store.(concurrencyStore); l.concLimit > 0 && !ok {
		return nil, errors.New("ratelimit: WithConcurrency: the store has no Acquire and Release methods")
	}
	if l.concLimit > 0 {
		l.concPolicy = l.concurrencyPolicy()
		l.renewer, _ = store.(leaseRenewer)
	}
	t, err := l.compile(policies)
	if err != nil {
		return nil, err
	}
	l.tier = *t
	for name, ps := range l.tierPolicies {
		if len(ps) == 0 || len(ps) > maxPolicies {
			return nil, fmt.Errorf("ratelimit: tier %q: %d policies: want 1 to %d", name, len(ps), maxPolicies)
		}
		t, err := l.compile(ps)
		if err != nil {
			return nil, fmt.Errorf("%w (tier %q)", err, name)
		}
		if l.tiers == nil {
			l.tiers = map[string]*tier{}
		}
		l.tiers[name] = t
	}
	l.tierPolicies = nil
	l.scratch.New = func() any { return new(scratch) }
	return l, nil
}

// compile checks and compiles one set of policies.
func (l *Limiter) compile(policies []Policy) (*tier, error) {
	t := &tier{}
	seen := map[string]bool{}
	for i, p := range policies {
		interval, tolerance, err := p.params()
		if err != nil {
			return nil, fmt.Errorf("%w (policy %d)", err, i)
		}
		name := p.name()
		if err := checkName(name); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: duplicate name %q", ErrInvalidPolicy, name)
		}
		seen[name] = true
		c := compiled{name: name, keyPrefix: l.prefix + name + ":", limit: p.Limit, period: p.Period,
			interval: interval, tolerance: tolerance, burst: p.burst(), unit: p.Unit}
		if l.ietf {
			if c.ietfQ, c.ietfW, err = p.ietfWindow(); err != nil {
				return nil, fmt.Errorf("%w (policy %d)", err, i)
			}
			if err := checkUnit(p.Unit); err != nil {
				return nil, fmt.Errorf("%w (policy %d)", err, i)
			}
		}
		if l.mem != nil {
			c.salt = l.mem.hash(c.keyPrefix)
		}
		if p.Shadow {
			t.sp = append(t.sp, c)
			continue
		}
		t.p = append(t.p, c)
		if len(t.p) == 1 || p.burst() < t.minBurst {
			t.minBurst = p.burst()
		}
		if l.fallback != nil {
			share := Policy{Limit: max(1, p.Limit/l.replicas), Period: p.Period, Burst: max(1, p.burst()/l.replicas)}
			fi, ft, err := share.params()
			if err != nil {
				return nil, fmt.Errorf("%w (policy %d, fallback share)", err, i)
			}
			f := c
			f.limit, f.interval, f.tolerance, f.burst = share.Limit, fi, ft, share.Burst
			if l.ietf {
				share.Unit = p.Unit
				if f.ietfQ, f.ietfW, err = share.ietfWindow(); err != nil {
					return nil, fmt.Errorf("%w (policy %d, fallback share)", err, i)
				}
			}
			t.fp = append(t.fp, f)
		}
	}
	t.hdr = newHeaderConsts(t.p)
	t.fhdr = newHeaderConsts(t.fp)
	t.enf = policySet{t.p, &t.hdr}
	t.fb = policySet{t.fp, &t.fhdr}
	t.shadow = policySet{p: t.sp}
	return t, nil
}

// tierOf returns the tier of a request.
func (l *Limiter) tierOf(r *http.Request, key string) *tier {
	if l.tierFunc != nil {
		if t, ok := l.tiers[l.tierFunc(r, key)]; ok {
			return t
		}
	}
	return &l.tier
}

// checkUnit accepts units that fit in a structured-field token.
func checkUnit(unit string) error {
	if unit != "" && !isToken(unit) {
		return fmt.Errorf("%w: unit %q is not a structured-field token", ErrInvalidPolicy, unit)
	}
	return nil
}

// checkName accepts names that fit in a structured-field string and do not
// contain the key separator or a Redis Cluster hash-tag brace.
func checkName(name string) error {
	if len(name) > 64 {
		return fmt.Errorf("%w: name %q is longer than 64 bytes", ErrInvalidPolicy, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c > 0x7e || c == ':' || c == '"' || c == '\\' || c == '{' || c == '}' {
			return fmt.Errorf("%w: name %q: want printable ASCII without : \" \\ { or }", ErrInvalidPolicy, name)
		}
	}
	return nil
}

// Allow is AllowN(ctx, key, 1).
func (l *Limiter) Allow(ctx context.Context, key string) (Decision, error) {
	var d Decision
	err := l.allow(ctx, nil, key, 1, &d)
	return d, err
}

// AllowN decides a request of cost n (a weight: 1 for an ordinary request;
// 0 only reads the state) by the caller key. It returns the decision and a
// non-nil error when the store failed and no fallback decided (the
// decision is then a denial with no state), or n is negative or larger
// than the smallest burst ([ErrCostExceedsBurst]: such a request can never
// be admitted).
func (l *Limiter) AllowN(ctx context.Context, key string, n int64) (Decision, error) {
	var d Decision
	err := l.allow(ctx, nil, key, n, &d)
	return d, err
}

// allow decides into d (zero on entry), which is passed by pointer so that
// the decision is not copied from layer to layer.
func (l *Limiter) allow(ctx context.Context, r *http.Request, key string, n int64, d *Decision) error {
	if n < 0 {
		return fmt.Errorf("ratelimit: negative cost %d", n)
	}
	t := l.tierOf(r, key)
	err := l.enforce(ctx, r, t, key, n, d)
	if err == nil && d.Allowed && len(t.sp) > 0 {
		l.shadow(ctx, r, t, key, n)
	}
	return err
}

// shadow decides the shadow policies of an admitted request, in a
// decision of their own, and reports a denial to the observer. A shadow
// policy's state is kept as if it were enforced (a request it would deny
// does not count against it); nothing it decides reaches the caller.
func (l *Limiter) shadow(ctx context.Context, r *http.Request, t *tier, key string, n int64) {
	var sd Decision
	if l.mem != nil {
		l.allowMem(&t.shadow, key, n, &sd)
	} else {
		var items [maxPolicies]Item
		var results [maxPolicies]Result
		var kb []byte
		for i := range t.sp {
			c := &t.sp[i]
			kb = appendStoreKey(append(kb[:0], c.keyPrefix...), key)
			items[i] = Item{Key: string(kb), Interval: c.interval, Tolerance: c.tolerance, Cost: n}
		}
		m := len(t.sp)
		now, err := l.store.Take(ctx, items[:m], results[:m])
		if err != nil {
			return // the enforced decision stands; a store error is reported there
		}
		l.decide(&sd, &t.shadow, now, n, results[:m])
	}
	if !sd.Allowed {
		l.emit(Event{Kind: EventShadowDenied, Request: r, Key: key, Decision: sd})
	}
}

// enforce decides the enforced policies.
func (l *Limiter) enforce(ctx context.Context, r *http.Request, t *tier, key string, n int64, d *Decision) error {
	if len(t.p) == 0 {
		d.Allowed, d.lim = true, l
		return nil
	}
	if n > t.minBurst {
		return fmt.Errorf("%w: cost %d, burst %d", ErrCostExceedsBurst, n, t.minBurst)
	}
	if l.mem != nil {
		l.allowMem(&t.enf, key, n, d)
		if l.pkSecret != nil {
			d.key = key
		}
		return nil
	}
	s := l.scratch.Get().(*scratch)
	defer l.scratch.Put(s)
	m := len(t.p)
	for i := range t.p {
		c := &t.p[i]
		s.key = appendStoreKey(append(s.key[:0], c.keyPrefix...), key)
		s.items[i] = Item{Key: string(s.key), Interval: c.interval, Tolerance: c.tolerance, Cost: n}
	}
	now, err := l.store.Take(ctx, s.items[:m], s.results[:m])
	if err == nil {
		l.decide(d, &t.enf, now, n, s.results[:m])
		if l.pkSecret != nil {
			d.key = key
		}
		if d.Allowed && l.fallback != nil {
			l.charge(ctx, t, s)
		}
		clear(s.items[:m]) // drop the keys
		return nil
	}
	err = fmt.Errorf("ratelimit: store: %w", err)
	if l.fallback == nil || ctx.Err() != nil {
		clear(s.items[:m])
		if ctx.Err() == nil {
			l.emit(Event{Kind: EventStoreError, Request: r, Key: key, Err: err})
		}
		return err
	}
	for i := range t.fp {
		c := &t.fp[i]
		s.items[i].Interval, s.items[i].Tolerance = c.interval, c.tolerance
	}
	now, ferr := l.fallback.Take(ctx, s.items[:m], s.results[:m])
	clear(s.items[:m])
	if ferr != nil {
		err = errors.Join(err, fmt.Errorf("ratelimit: fallback store: %w", ferr))
		l.emit(Event{Kind: EventStoreError, Request: r, Key: key, Err: err})
		return err
	}
	l.decide(d, &t.fb, now, n, s.results[:m])
	if l.pkSecret != nil {
		d.key = key
	}
	l.warn.log(l.logger, now, err)
	l.emit(Event{Kind: EventFallback, Request: r, Key: key, Decision: *d, Err: err})
	return nil
}

// charge counts an admitted request in the fallback store at the
// replica's share of each policy, so that a replica that falls back in
// the middle of a burst continues from what it has admitted, not from a
// whole bucket. The fallback's answer is not used.
func (l *Limiter) charge(ctx context.Context, t *tier, s *scratch) {
	m := len(t.fp)
	var items [maxPolicies]Item
	var results [maxPolicies]Result
	for i := range t.fp {
		c := &t.fp[i]
		items[i] = Item{Key: s.items[i].Key, Interval: c.interval, Tolerance: c.tolerance, Cost: s.items[i].Cost}
	}
	_, _ = l.fallback.Take(ctx, items[:m], results[:m])
}

// appendStoreKey appends the caller key in braces: a Redis Cluster hash
// tag, so that every policy of one caller lands in one slot while callers
// spread over all slots. Redis hashes what lies between the first '{' and
// the next '}'; the prefix and the policy names hold no braces, so the tag
// is the caller key up to its first '}', the same for all its policies. A
// key that is empty or starts with '}' (an empty tag: Redis would hash
// the whole key) or with '~' is written after a '~', which keeps distinct
// keys distinct.
func appendStoreKey(dst []byte, key string) []byte {
	dst = append(dst, '{')
	if key == "" || key[0] == '}' || key[0] == '~' {
		dst = append(dst, '~')
	}
	dst = append(dst, key...)
	return append(dst, '}')
}

// allowMem decides policies p with the memory store, filing keys by hash.
func (l *Limiter) allowMem(set *policySet, key string, n int64, d *Decision) {
	p := set.p
	if len(p) == 1 {
		c := &p[0]
		it := Item{Interval: c.interval, Tolerance: c.tolerance, Cost: n}
		var r Result
		now := l.mem.take1(memHash(l.mem.hash(key), c.salt), &it, &r)
		d.Allowed, d.lim, d.set, d.now, d.cost, d.n = r.Allowed, l, set, now, max(n, 1), 1
		d.ok, d.tat[0] = b2u(r.Allowed), max(r.TAT, now)
		return
	}
	var items [maxPolicies]Item
	var results [maxPolicies]Result
	var hs [maxPolicies]uint64
	hk := l.mem.hash(key)
	for i := range p {
		c := &p[i]
		hs[i] = memHash(hk, c.salt)
		items[i] = Item{Interval: c.interval, Tolerance: c.tolerance, Cost: n}
	}
	m := len(p)
	now := l.mem.take(hs[:m], items[:m], results[:m])
	l.decide(d, set, now, n, results[:m])
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
func (l *Limiter) decide(d *Decision, set *policySet, now, n int64, results []Result) {
	d.Allowed = true
	d.lim = l
	d.set = set
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
	pick := d.policyAt(0)
	for i := 1; i < len(results); i++ {
		a := d.policyAt(i)
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
	key    string     // the caller key, for the IETF pk parameter
	set    *policySet // the policies decided: a tier's, its fallback share, or its shadow policies
	now    int64
	cost   int64
	tat    [maxPolicies]int64
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// PolicyState is the state of one policy after a decision.
type PolicyState struct {
	// Name, Limit and Period describe the policy (a fallback decision
	// describes the local share of the limit, see [WithFallback]).
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

// policyAt returns the state of the i-th policy (in the limiter's order)
// after the decision; the zero PolicyState when i is out of range.
func (d *Decision) policyAt(i int) PolicyState {
	if i < 0 || i >= int(d.n) {
		return PolicyState{}
	}
	c := &d.set.p[i]
	tat := d.tat[i]
	return PolicyState{
		Name:       c.name,
		Limit:      c.limit,
		Period:     c.period,
		Allowed:    d.ok>>i&1 == 1,
		Remaining:  c.remaining(d.now, tat),
		Reset:      time.Duration(tat - d.now),
		RetryAfter: time.Duration(max(tat+d.cost*c.interval-c.tolerance-d.now, 0)),
	}
}

// remaining is how many requests of cost 1 the policy admits at now.
func (c *compiled) remaining(now, tat int64) int64 {
	return min(max((now+c.tolerance-tat)/c.interval, 0), c.burst)
}

// Policies returns the state of every policy, in the limiter's order, in a
// new slice.
func (d *Decision) Policies() []PolicyState {
	out := make([]PolicyState, d.n)
	for i := range out {
		out[i] = d.policyAt(i)
	}
	return out
}

// Policy returns the state of the most restrictive policy, the one the
// X-RateLimit-* fields describe: for a denial, the denying policy that
// makes the caller wait longest; otherwise the one with the fewest
// remaining requests.
func (d *Decision) Policy() PolicyState { return d.policyAt(int(d.policy)) }

// RetryAfter returns how long a denied caller must wait before the same
// request can be admitted (assuming no other traffic on its key); 0 for an
// admitted request.
func (d *Decision) RetryAfter() time.Duration { return d.retryAfter() }

func (d *Decision) retryAfter() time.Duration {
	if d.Allowed || d.n == 0 {
		return 0
	}
	c := &d.set.p[d.policy]
	return time.Duration(max(d.tat[d.policy]+d.cost*c.interval-c.tolerance-d.now, 0))
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
