package ratelimit

import (
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Event is what an observer set with [WithObserver] is told.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// Request is the request decided; nil for a decision made by
	// [Limiter.AllowN] directly.
	Request *http.Request
	// Key is the caller key.
	Key string
	// Decision is the decision made; the zero Decision for a store error.
	Decision Decision
	// Err is the store's error, for EventStoreError and EventFallback.
	Err error
}

// EventKind names an [Event].
type EventKind string

// The kinds of [Event].
const (
	// EventDenied: a request was refused with a 429.
	EventDenied EventKind = "denied"
	// EventStoreError: the store failed. When it was deciding and no
	// fallback decided, the request is refused with a 503, or admitted
	// with [WithFailOpen]; when it was giving back or renewing a slot of
	// [WithConcurrency], the request runs on (a renewal is tried again).
	EventStoreError EventKind = "store-error"
	// EventFallback: the store failed and the fallback store decided
	// (see [WithFallback]).
	EventFallback EventKind = "fallback"
	// EventShadowDenied: a shadow policy ([Policy].Shadow) would have
	// denied an admitted request; Decision describes the shadow policies.
	EventShadowDenied EventKind = "shadow-denied"
	// EventLeaseLost: a renewal of a [WithConcurrency] slot found that
	// the slot's lease had ended while its handler still ran; the request
	// runs on without a slot, and the slot is no longer renewed.
	EventLeaseLost EventKind = "lease-lost"
)

func (l *Limiter) emit(ev Event) {
	if l.observer != nil {
		l.observer(ev)
	}
}

// warnLimiter logs store failures answered by the fallback, at most one
// line per warnEvery.
type warnLimiter struct {
	mu         sync.Mutex
	last       int64 // Unix ns of the last line
	suppressed int64
}

const warnEvery = 10 * time.Second

func (w *warnLimiter) log(logger *slog.Logger, now int64, err error) {
	w.mu.Lock()
	if w.last != 0 && now-w.last < int64(warnEvery) && now >= w.last {
		w.suppressed++
		w.mu.Unlock()
		return
	}
	n := w.suppressed
	w.last, w.suppressed = now, 0
	w.mu.Unlock()
	logger.Warn("ratelimit: store failed; deciding with the local fallback (each replica enforces its share of the limit)",
		"error", err, "suppressed", n)
}
