package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// concurrencyStore is what a store needs for [WithConcurrency]:
// [MemoryStore] and ratelimit/rateredis's Store have it.
type concurrencyStore interface {
	Acquire(ctx context.Context, key string, limit int64, lease time.Duration) (token string, inFlight int64, ok bool, err error)
	Release(ctx context.Context, key, token string) error
}

// leaseRenewer is what a store whose slots are leases needs so that a
// handler keeps its slot while it runs: ratelimit/rateredis's Store has
// it. [MemoryStore] has no leases and needs none.
type leaseRenewer interface {
	Renew(ctx context.Context, key, token string, lease time.Duration) (held bool, err error)
}

// WithConcurrency limits the requests of one caller in flight at once to
// limit (≥ 1), besides the rate: a request over it is answered 429 with
// Retry-After 1 and the "violated-policies" member ["concurrency"], and the
// handler does not run. A slot is taken after the rate policies admit the
// request and given back when the handler returns, also when it panics.
// The IETF fields describe it as a policy named concurrency with
// qu="concurrent-requests" and no window. The store must have the methods
// Acquire and Release, as [MemoryStore] and ratelimit/rateredis's Store
// do (ratelimit/ratetest checks them). It applies to [New]. Default: no
// concurrency limit.
//
// On a shared store a slot is a lease of lease (> 0), so that the slots of
// a replica that crashed come back when their leases end. While the
// handler runs, the limiter renews the lease every third of lease through
// the store's method
//
//	Renew(ctx context.Context, key, token string, lease time.Duration) (held bool, err error)
//
// which ratelimit/rateredis's Store has: it extends the slot of token to
// lease from now if it is still held, and otherwise reports false and
// creates nothing, so a renewal never brings back a slot that was given
// back or whose lease ended. Renewals run on a timer, never on the
// handler's goroutine, and stop before the slot is given back, also when
// the handler panics. Each call has a deadline of a sixth of lease (and
// the store's own); a call that fails is reported as [EventStoreError]
// and tried again a sixth of lease later, which leaves time for another
// try before the lease ends. A slot found lost (its lease ended first: a
// store unreachable for that long, or a process paused) is reported as
// [EventLeaseLost] and no longer renewed. Either way the request runs on:
// its handler has started and cannot be taken back, so until it returns
// the caller may have more than limit requests in flight. Choose lease
// well above the store's worst round trip; a shorter lease gives a
// crashed replica's slots back sooner. A store without Renew
// ([MemoryStore], whose slots are held until given back) renews nothing,
// and its requests cost no timer.
func WithConcurrency(limit int64, lease time.Duration) Option {
	return option{"WithConcurrency", forLimiter, func(s *settings) {
		if limit < 1 || lease <= 0 {
			s.errorf("WithConcurrency: limit %d and lease %v: want ≥ 1 and > 0", limit, lease)
		}
		s.concLimit, s.concLease = limit, lease
	}}
}

// concurrencyPolicy is the IETF RateLimit-Policy member of the limit.
func (l *Limiter) concurrencyPolicy() string {
	return `concurrency;q=` + strconv.FormatInt(l.concLimit, 10) + `;qu="concurrent-requests"`
}

// acquire takes a slot for key (its store key ckey), or answers the
// request. held reports whether a slot was taken: not when the store
// failed and the request is admitted anyway ([WithFailOpen]).
func (l *Limiter) acquire(w http.ResponseWriter, r *http.Request, key, ckey string) (token string, held, ok bool) {
	cs := l.store.(concurrencyStore)
	token, inFlight, ok, err := cs.Acquire(r.Context(), ckey, l.concLimit, l.concLease)
	if err != nil {
		err = fmt.Errorf("ratelimit: concurrency: %w", err)
		l.emit(Event{Kind: EventStoreError, Request: r, Key: key, Err: err})
		if l.failOpen {
			return "", false, true
		}
		l.fail(w, r, nil, err)
		return "", false, false
	}
	h := w.Header()
	if l.ietf {
		var arr [128]byte
		b := arr[:0]
		if v := h[canonRateLimit]; len(v) == 1 {
			b = append(append(b, v[0]...), ", "...)
		}
		b = append(b, "concurrency;r="...)
		b = strconv.AppendInt(b, max(l.concLimit-inFlight, 0), 10)
		if v := h[canonPolicy]; len(v) == 1 {
			h[canonPolicy] = []string{v[0] + ", " + l.concPolicy}
		} else {
			h[canonPolicy] = []string{l.concPolicy}
		}
		h[canonRateLimit] = []string{string(b)}
	}
	if !ok {
		l.emit(Event{Kind: EventDenied, Request: r, Key: key})
		h[canonRetryAfter] = []string{"1"}
		p := problem.RateLimitExceeded.New("Too many requests in flight; retry after 1 second.").
			WithRetryAfter(time.Second).
			WithExtension(violatedPolicies, []string{"concurrency"}).
			WithInstance(r.URL.Path)
		problem.WriteTo(l.errw, w, r, p)
		return "", false, false
	}
	return token, true, true
}

// release stops the renewals of the slot of token, if any, and gives the
// slot back, also when the request's context has ended.
func (l *Limiter) release(r *http.Request, key, ckey, token string, rn *renewal) {
	if rn != nil {
		rn.stop()
	}
	cs := l.store.(concurrencyStore)
	if err := cs.Release(context.WithoutCancel(r.Context()), ckey, token); err != nil {
		l.emit(Event{Kind: EventStoreError, Request: r, Key: key, Err: fmt.Errorf("ratelimit: concurrency release: %w", err)})
	}
}

// renewal keeps the slot of one running handler: a timer renews its lease
// every third of the lease until stop.
type renewal struct {
	l                *Limiter
	r                *http.Request
	key, ckey, token string

	mu      sync.Mutex
	t       *time.Timer
	stopped bool
}

// renew starts renewing the slot of token, if the store has leases.
func (l *Limiter) renew(r *http.Request, key, ckey, token string) *renewal {
	if l.renewer == nil {
		return nil
	}
	rn := &renewal{l: l, r: r, key: key, ckey: ckey, token: token}
	rn.mu.Lock() // the timer's first run waits until rn.t is set
	rn.t = time.AfterFunc(l.renewEvery(), rn.run)
	rn.mu.Unlock()
	return rn
}

// renewEvery is the time between two renewals of a slot.
func (l *Limiter) renewEvery() time.Duration {
	return max(l.concLease/3, time.Millisecond)
}

// run renews the lease once, on the timer's goroutine, and sets the timer
// for the next renewal.
func (rn *renewal) run() {
	rn.mu.Lock()
	stopped := rn.stopped
	rn.mu.Unlock()
	if stopped {
		return
	}
	l := rn.l
	every := l.renewEvery()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(rn.r.Context()), every/2)
	held, err := l.renewer.Renew(ctx, rn.ckey, rn.token, l.concLease)
	cancel()
	rn.mu.Lock()
	stopped = rn.stopped
	if !stopped && err != nil {
		rn.t.Reset(every / 2) // one more try before the lease ends
	} else if !stopped && held {
		rn.t.Reset(every)
	}
	rn.mu.Unlock()
	// Once stopped, the slot is being given back: a failure or a slot not
	// held says nothing about the request any more.
	switch {
	case stopped:
	case err != nil:
		l.emit(Event{Kind: EventStoreError, Request: rn.r, Key: rn.key, Err: fmt.Errorf("ratelimit: concurrency renew: %w", err)})
	case !held:
		l.emit(Event{Kind: EventLeaseLost, Request: rn.r, Key: rn.key})
	}
}

// stop ends the renewals. A renewal already under way may still reach
// the store, where it finds the slot given back and creates nothing.
func (rn *renewal) stop() {
	rn.mu.Lock()
	rn.stopped = true
	rn.t.Stop()
	rn.mu.Unlock()
}

// concurrencyKey is the store key of a caller's slots.
func (l *Limiter) concurrencyKey(key string) string {
	var arr [128]byte
	return string(appendStoreKey(append(arr[:0], l.prefix+"concurrency:"...), key))
}

// Acquire takes one of limit slots for key, for [WithConcurrency], and
// returns the token that gives it back. It reports the slots in flight
// after the call and whether one was taken. In memory a slot needs no
// lease: it is held until Release.
func (s *MemoryStore) Acquire(_ context.Context, key string, limit int64, _ time.Duration) (string, int64, bool, error) {
	c := &s.conc
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]uint64{}
	}
	held := c.m[key]
	if int64(len(held)) >= limit {
		return "", int64(len(held)), false, nil
	}
	c.seq++
	c.m[key] = append(held, c.seq)
	return strconv.FormatUint(c.seq, 36), int64(len(held)) + 1, true, nil
}

// Release gives back the slot of token, taken by [MemoryStore.Acquire].
// Releasing it again does nothing, so a repeated call never frees another
// request's slot.
func (s *MemoryStore) Release(_ context.Context, key, token string) error {
	tok, err := strconv.ParseUint(token, 36, 64)
	if err != nil {
		return fmt.Errorf("ratelimit: release: token %.40q is not one Acquire returns", token)
	}
	c := &s.conc
	c.mu.Lock()
	defer c.mu.Unlock()
	held := c.m[key]
	i := slices.Index(held, tok)
	switch {
	case i < 0:
		return nil // given back before
	case len(held) == 1:
		delete(c.m, key) // no key is kept without a slot in flight
	default:
		held[i] = held[len(held)-1]
		c.m[key] = held[:len(held)-1]
	}
	return nil
}

// concurrency holds the memory store's slots in flight: the tokens held
// per key.
type concurrency struct {
	mu  sync.Mutex
	m   map[string][]uint64
	seq uint64
}
