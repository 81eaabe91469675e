package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// WithConcurrency limits the requests of one caller in flight at once to
// limit (≥ 1), besides the rate: a request over it is answered 429 with
// Retry-After 1 and the "violated-policies" member ["concurrency"], and the
// handler does not run. A slot is taken after the rate policies admit the
// request and given back when the handler returns, also when it panics.
// On a shared store a slot is a lease of lease (> 0): the slots of a
// replica that crashed come back when their leases end, and a handler
// that runs longer than lease no longer holds its slot. The IETF fields
// describe it as a policy named concurrency with qu="concurrent-requests"
// and no window. The store must have the methods Acquire and Release, as
// [MemoryStore] and ratelimit/rateredis's Store do. It applies to [New].
// Default: no concurrency limit.
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
// request.
func (l *Limiter) acquire(w http.ResponseWriter, r *http.Request, key, ckey string) (token string, ok bool) {
	cs := l.store.(concurrencyStore)
	token, inFlight, ok, err := cs.Acquire(r.Context(), ckey, l.concLimit, l.concLease)
	if err != nil {
		err = fmt.Errorf("ratelimit: concurrency: %w", err)
		l.emit(Event{Kind: EventStoreError, Request: r, Key: key, Err: err})
		if l.failOpen {
			return "", true
		}
		l.fail(w, r, nil, err)
		return "", false
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
		return "", false
	}
	return token, true
}

// release gives back the slot of token, also when the request's context
// has ended.
func (l *Limiter) release(r *http.Request, key, ckey, token string) {
	cs := l.store.(concurrencyStore)
	if err := cs.Release(context.WithoutCancel(r.Context()), ckey, token); err != nil {
		l.emit(Event{Kind: EventStoreError, Request: r, Key: key, Err: fmt.Errorf("ratelimit: concurrency release: %w", err)})
	}
}

// concurrencyKey is the store key of a caller's slots.
func (l *Limiter) concurrencyKey(key string) string {
	var arr [128]byte
	return string(appendStoreKey(append(arr[:0], l.prefix+"concurrency:"...), key))
}

// Acquire takes one of limit slots for key, for [WithConcurrency]. It
// reports the slots in flight after the call and whether one was taken. In
// memory a slot needs no lease: it is held until Release.
func (s *MemoryStore) Acquire(_ context.Context, key string, limit int64, _ time.Duration) (string, int64, bool, error) {
	c := &s.conc
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int64{}
	}
	n := c.m[key]
	if n >= limit {
		return "", n, false, nil
	}
	c.m[key] = n + 1
	return "", n + 1, true, nil
}

// Release gives back a slot taken by [MemoryStore.Acquire].
func (s *MemoryStore) Release(_ context.Context, key, _ string) error {
	c := &s.conc
	c.mu.Lock()
	defer c.mu.Unlock()
	switch n := c.m[key]; {
	case n <= 0:
		return errors.New("ratelimit: release of a slot not held")
	case n == 1:
		delete(c.m, key)
	default:
		c.m[key] = n - 1
	}
	return nil
}

// concurrency holds the memory store's slots in flight.
type concurrency struct {
	mu sync.Mutex
	m  map[string]int64
}
