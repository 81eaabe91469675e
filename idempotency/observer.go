package idempotency

import (
	"net/http"
	"time"
)

// Event is what the middleware reports to the function given with
// [WithObserver]: a decision about a request, or a store call.
//
// Decisions, reported for every request that carries a key (or lacks a
// required one), are of the kinds:
//
//	acquired          the key was claimed; the handler runs
//	stored            the handler's response was stored for replay
//	released          the response was not stored (5xx, 1xx or a panic); the key was freed
//	replayed          a stored response was replayed
//	in-progress       another request holds the key; 409
//	mismatch          the key was used with a different request; 422
//	not-stored        the key's response was too large to store; 409
//	missing-key       a required key was missing; 400
//	invalid-key       the key was malformed or refused; 400
//	body-too-large    the request body was over the limit; 413
//	anonymous-caller  the default scope found no credentials; 400
//	scope-full        the caller holds as many keys in progress as the store allows it; 429
//	store-error       a store call failed or ran out of time (see the store call's Err)
//	client-gone       the client went away while the key was claimed; nothing is written or run
//	fail-open         the store failed and the handler ran unprotected
//	lost-ownership    the lease ran out and another request took the key; the response was not stored
//	corrupt-record    a stored response could not be decoded; 500
//
// Store calls are of the kind of the [Store] method, "claim", "extend",
// "complete" or "release", with their Duration and Err (nil on success;
// [ErrNotOwner] is reported as it is).
type Event struct {
	// Request is the request the event is about. The observer must not
	// keep it after it returns.
	Request *http.Request
	// Kind names the decision or the store call (below).
	Kind     string
	Duration time.Duration
	Err      error
}

func (m *Middleware) event(r *http.Request, name string) {
	if m.observer != nil {
		m.observer(Event{Request: r, Kind: name})
	}
}

func (m *Middleware) storeCall(r *http.Request, name string, start time.Time, err error) {
	if m.observer != nil {
		m.observer(Event{Request: r, Kind: name, Duration: time.Since(start), Err: err})
	}
}
