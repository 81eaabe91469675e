package webhook

import (
	"sync"
	"time"
)

// endpoints keeps, per endpoint and per Dispatcher, the attempts in flight
// and the circuit breaker.
type endpoints struct {
	mu        sync.Mutex
	limit     int
	threshold int
	cooldown  time.Duration
	m         map[string]*endpoint
}

type endpoint struct {
	inflight  int
	failures  int       // consecutive
	openUntil time.Time // breaker open, or paused by Retry-After
	probing   bool      // half-open: one attempt in flight decides
}

func newEndpoints(c *config) *endpoints {
	return &endpoints{limit: c.concurrency, threshold: c.breakerFailures, cooldown: c.breakerCooldown, m: make(map[string]*endpoint)}
}

// blocked returns the endpoints no attempt may start on now.
func (e *endpoints) blocked(now time.Time) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for url, s := range e.m {
		if !e.allowed(s, now) {
			out = append(out, url)
		}
	}
	return out
}

func (e *endpoints) allowed(s *endpoint, now time.Time) bool {
	switch {
	case s.inflight >= e.limit, now.Before(s.openUntil):
		return false
	case s.failures >= e.threshold:
		// Half-open: one probe at a time.
		return !s.probing
	}
	return true
}

// acquire starts an attempt on url if allowed now.
func (e *endpoints) acquire(url string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.m[url]
	if s == nil {
		s = &endpoint{}
		e.m[url] = s
	}
	if !e.allowed(s, now) {
		e.forget(url, s, now)
		return false
	}
	if s.failures >= e.threshold {
		s.probing = true
	}
	s.inflight++
	return true
}

// done ends an attempt on url. ok reports success; pause, when positive,
// keeps the endpoint's messages waiting that long (Retry-After). An
// attempt that was not made (released) passes counted false.
func (e *endpoints) done(url string, now time.Time, counted, ok bool, pause time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.m[url]
	if s == nil {
		return
	}
	s.inflight--
	if s.failures >= e.threshold {
		s.probing = false
	}
	if counted {
		if ok {
			s.failures = 0
		} else {
			s.failures++
			if s.failures >= e.threshold {
				s.openUntil = now.Add(e.cooldown)
			}
		}
	}
	if until := now.Add(pause); pause > 0 && until.After(s.openUntil) {
		s.openUntil = until
	}
	e.forget(url, s, now)
}

// forget drops the state of an endpoint that has nothing to remember.
func (e *endpoints) forget(url string, s *endpoint, now time.Time) {
	if s.inflight == 0 && s.failures == 0 && !now.Before(s.openUntil) {
		delete(e.m, url)
	}
}
