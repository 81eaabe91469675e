package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// probeAfter is how long requests held without a known reset wait for an
// answer carrying one before a single request is let through.
const probeAfter = time.Second

// ErrQuotaExhausted is returned, without sending the request, when the
// rate limit the server reported has no quota left and resets only after
// the request's context deadline.
var ErrQuotaExhausted = errors.New("client: no rate-limit quota left before the context deadline")

// maxPaceKeys bounds how many pace keys a client remembers, so that a
// [WithPaceKey] function with unbounded results (a tenant, a URL) cannot
// grow its memory without end. Forgetting a key costs at most a 429 that
// the retry rules handle.
const maxPaceKeys = 10_000

// pacer remembers, per pace key, the rate-limit state the server reported,
// and holds requests while none of the quota remains.
type pacer struct {
	states sync.Map     // pace key → *paceState
	n      atomic.Int64 // keys in states
}

// paceState is one key's quota as the client counts it: the server's last
// word, minus the requests sent since.
type paceState struct {
	mu        sync.Mutex
	known     bool
	limit     int64
	remaining int64
	reset     time.Time     // zero: not known in the current window
	changed   chan struct{} // closed by the next update
}

// wait returns when a request for key may be sent, counting it against
// the remaining quota. It never waits past the deadline: when the reset is
// later, it returns [ErrQuotaExhausted] at once.
func (p *pacer) wait(ctx context.Context, key string, cfg *config, deadline time.Time, hasDeadline bool) (held bool, err error) {
	v, ok := p.states.Load(key)
	if !ok {
		return false, nil
	}
	s := v.(*paceState)
	probed := false
	var sleptTo time.Time
	for {
		s.mu.Lock()
		now := cfg.now()
		if !sleptTo.IsZero() && s.reset.Equal(sleptTo) && now.Before(sleptTo) {
			// The sleep returned before the clock reached the reset (an
			// injected sleep or clock): take the reset as passed.
			s.reset = now
		}
		s.refresh(now)
		if !s.known || s.remaining > 0 || probed {
			if s.known && s.remaining > 0 {
				s.remaining--
			}
			s.mu.Unlock()
			return held, nil
		}
		if !s.reset.IsZero() {
			d := s.reset.Sub(now)
			sleptTo = s.reset
			s.mu.Unlock()
			if hasDeadline && now.Add(d).After(deadline) {
				return held, fmt.Errorf("%w (resets in %v)", ErrQuotaExhausted, d.Round(time.Millisecond))
			}
			if cfg.logger != nil && cfg.logger.Enabled(ctx, slog.LevelDebug) {
				cfg.logger.LogAttrs(ctx, slog.LevelDebug, "client: holding for the rate-limit reset",
					slog.String("key", key), slog.Duration("wait", d))
			}
			held = true
			if err := cfg.sleep(ctx, d); err != nil {
				return held, err
			}
			continue
		}
		// No reset known for this window: wait for an answer that brings
		// one, or send a single probe.
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		held = true
		timer := time.NewTimer(probeAfter)
		select {
		case <-ch:
		case <-timer.C:
			probed = true
		case <-ctx.Done():
			timer.Stop()
			return held, ctx.Err()
		}
		timer.Stop()
	}
}

// refresh starts a new window when the reset has passed: the whole limit
// is available again, and the next reset is learnt from the answers.
func (s *paceState) refresh(now time.Time) {
	if s.known && !s.reset.IsZero() && !now.Before(s.reset) {
		s.reset = time.Time{}
		if s.limit > 0 {
			s.remaining = s.limit
		} else {
			s.known = false
		}
	}
}

// update records what resp says about key's quota.
func (p *pacer) update(key string, resp *http.Response, now time.Time) {
	q, ok := readQuota(resp.Header, now)
	if !ok {
		return
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		q.Remaining = 0
		if ra := now.Add(q.RetryAfter); q.RetryAfter > 0 && ra.After(q.Reset) {
			q.Reset = ra
		}
	} else if q.Limit == 0 && q.Remaining == 0 && q.Reset.IsZero() {
		return // a Retry-After alone on another status says nothing of the quota
	}
	v, ok := p.states.Load(key)
	if !ok {
		var loaded bool
		if v, loaded = p.states.LoadOrStore(key, &paceState{}); !loaded && p.n.Add(1) > maxPaceKeys {
			p.prune(key, now)
		}
	}
	s := v.(*paceState)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh(now)
	switch {
	case q.Limit > 0:
		s.limit = q.Limit
	case q.Remaining+1 > s.limit:
		s.limit = q.Remaining + 1 // not told: at least this many
	}
	if !s.known {
		s.known, s.remaining = true, q.Remaining
	} else {
		// Answers to requests still in flight count fewer requests than
		// the client has sent: keep the lower count.
		s.remaining = min(s.remaining, q.Remaining)
	}
	if q.Reset.After(now) && q.Reset.After(s.reset) {
		s.reset = q.Reset
	}
	if s.reset.IsZero() && s.remaining <= 0 && q.Reset.IsZero() {
		s.known = false // nothing left but no reset to wait for
	}
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// prune forgets keys until at most nine tenths of maxPaceKeys remain (so
// that its cost is spread over many new keys): first those whose window
// has passed (they hold nothing back), then any but keep.
func (p *pacer) prune(keep string, now time.Time) {
	const target = maxPaceKeys * 9 / 10
	for _, idleOnly := range []bool{true, false} {
		p.states.Range(func(k, v any) bool {
			if p.n.Load() <= target {
				return false
			}
			if k == keep {
				return true
			}
			s := v.(*paceState)
			s.mu.Lock()
			idle := s.changed == nil && (s.reset.IsZero() || !now.Before(s.reset))
			s.mu.Unlock()
			if (idle || !idleOnly) && p.states.CompareAndDelete(k, v) {
				p.n.Add(-1)
			}
			return true
		})
	}
}
