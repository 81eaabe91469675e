package idempotency

import (
	"net/http"
	"time"
)

// Event is a decision the middleware made for a request.
type Event int

// Events reported to [Observer.Event].
const (
	// EventAcquired: the key was claimed; the handler runs.
	EventAcquired Event = iota + 1
	// EventStored: the handler's response was stored for replay.
	EventStored
	// EventReleased: the handler's response was not stored (5xx or a
	// panic) and the key was released.
	EventReleased
	// EventReplayed: a stored response was replayed.
	EventReplayed
	// EventInProgress: the key is held by a running request; 409.
	EventInProgress
	// EventMismatch: the key was used with a different request; 422.
	EventMismatch
	// EventNotStored: the key's response was too large to store; 409.
	EventNotStored
	// EventMissingKey: a required key was missing; 400.
	EventMissingKey
	// EventInvalidKey: the key was malformed or refused; 400.
	EventInvalidKey
	// EventBodyTooLarge: the request body was over the limit; 413.
	EventBodyTooLarge
	// EventStoreError: a store call failed (see the StoreCall error).
	EventStoreError
	// EventFailOpen: the store failed and the handler ran unprotected.
	EventFailOpen
	// EventLostOwnership: the key was taken over by another request (the
	// lease ran out) while the handler ran; its response was not stored.
	EventLostOwnership
	// EventCorruptRecord: a stored response could not be decoded; 500.
	EventCorruptRecord
	// EventAnonymousCaller: the request carried a key but the scope could
	// not attribute it to a caller ([AnonymousCaller]); 400.
	EventAnonymousCaller
)

// String returns the event's name, e.g. "replayed".
func (e Event) String() string {
	switch e {
	case EventAcquired:
		return "acquired"
	case EventStored:
		return "stored"
	case EventReleased:
		return "released"
	case EventReplayed:
		return "replayed"
	case EventInProgress:
		return "in-progress"
	case EventMismatch:
		return "mismatch"
	case EventNotStored:
		return "not-stored"
	case EventMissingKey:
		return "missing-key"
	case EventInvalidKey:
		return "invalid-key"
	case EventBodyTooLarge:
		return "body-too-large"
	case EventStoreError:
		return "store-error"
	case EventFailOpen:
		return "fail-open"
	case EventLostOwnership:
		return "lost-ownership"
	case EventCorruptRecord:
		return "corrupt-record"
	case EventAnonymousCaller:
		return "anonymous-caller"
	}
	return "unknown"
}

// StoreOp names a [Store] method.
type StoreOp string

// Store operations reported to [Observer.StoreCall].
const (
	OpClaim    StoreOp = "claim"
	OpExtend   StoreOp = "extend"
	OpComplete StoreOp = "complete"
	OpRelease  StoreOp = "release"
)

// Observer receives what the middleware does, for metrics and logs, without
// tying the package to a metrics library. Either function may be nil. They
// are called synchronously on the request's goroutine (StoreCall also on
// the lease-renewal goroutine), so they must be fast and safe for
// concurrent use.
type Observer struct {
	// Event is called for every decision about a request that carries a
	// key (or lacks a required one). Requests the middleware does not act
	// on are not reported.
	Event func(r *http.Request, e Event)
	// StoreCall is called after every store call with its duration and
	// error (nil on success; ErrNotOwner is reported as it is).
	StoreCall func(r *http.Request, op StoreOp, d time.Duration, err error)
}

func (o *Observer) event(r *http.Request, e Event) {
	if o.Event != nil {
		o.Event(r, e)
	}
}
