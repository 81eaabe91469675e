package webhook

import (
	"context"
	"time"
)

// Store keeps messages, their attempts and the endpoints' state. The
// memory store, hookpg and hookredis implement it; webhook/hooktest is the
// suite every implementation must pass.
//
// Every method must be safe for concurrent use by many processes and safe
// to repeat: a caller whose call timed out calls again and must get the
// same effect once. Times come from the dispatcher's clock, never the
// store's.
type Store interface {
	// Enqueue stores m (ID, Endpoint, Type, Payload, CreatedAt and NextAt
	// are set; State, Attempts and Failures are zero) unless a message
	// with its ID exists, and reports whether it was stored.
	Enqueue(ctx context.Context, m Message) (bool, error)

	// Lease picks one pending message due at r.Now, whose endpoint is not
	// disabled nor listed in r.Skip (and, with r.Ordered, which is the
	// oldest pending message of its endpoint), records r.Token as its
	// lease and makes it due again at r.Until, so that another worker
	// takes it over if this one dies. Of the due messages it picks one
	// with the earliest NextAt as far as it can. ok is false when none is
	// eligible. The returned message holds its state before the lease.
	Lease(ctx context.Context, r LeaseRequest) (m Message, ok bool, err error)

	// Finish records the attempt r.Attempt of the message leased with
	// token and moves it to r.State (r.NextAt, or r.Attempt.At when that
	// is zero, and r.Failures with it): a dead letter's NextAt is when it
	// died. With r.DisableEndpoint, it also disables the message's
	// endpoint.
	// It is atomic. r.Attempt.Number is the message's Attempts plus one;
	// repeating a Finish that took effect returns nil, and a Finish whose
	// lease was taken over returns ErrLeaseLost.
	Finish(ctx context.Context, id, token string, r Result) error

	// Release gives a leased message back without an attempt, due at at.
	// A release whose lease was taken over returns ErrLeaseLost.
	Release(ctx context.Context, id, token string, at time.Time) error

	// Message returns the message with id, or ErrNotFound.
	Message(ctx context.Context, id string) (Message, error)

	// Attempts returns the attempts of message id, oldest first, or
	// ErrNotFound.
	Attempts(ctx context.Context, id string) ([]Attempt, error)

	// Replay makes the dead letter id pending again, due at at, with no
	// failures, and takes it out of DeadLetters. Replaying a message that
	// is pending returns nil (a repeated replay); one that is delivered
	// returns ErrNotDead.
	Replay(ctx context.Context, id string, at time.Time) error

	// DeadLetters returns up to q.Limit dead letters (of q.Endpoint, if
	// set) ordered by NextAt, then by ID byte-wise, after the place
	// q.After names if it is set: (NextAt, ID) greater than (After.At,
	// After.ID). Its cost must not grow with the number of pending and
	// delivered messages: keep an index of the dead letters, updated in
	// the same step as each move in and out of Dead. q.Limit is from 1
	// to MaxDeadLimit; a store refuses others with an error.
	DeadLetters(ctx context.Context, q DeadQuery) ([]Message, error)

	// SetEndpointDisabled disables or re-enables endpoint. Messages to a
	// disabled endpoint stay pending and are not leased.
	SetEndpointDisabled(ctx context.Context, endpoint string, disabled bool) error

	// EndpointDisabled reports whether endpoint is disabled.
	EndpointDisabled(ctx context.Context, endpoint string) (bool, error)
}

// LeaseRequest asks Store.Lease for a message.
type LeaseRequest struct {
	Now, Until time.Time
	// Token names the lease; Finish and Release must present it.
	Token string
	// Skip lists endpoints not to lease now (open breaker, concurrency
	// limit reached).
	Skip []string
	// Ordered leases only the oldest pending message of each endpoint.
	Ordered bool
}

// Result is what Store.Finish records.
type Result struct {
	Attempt  Attempt
	State    State
	NextAt   time.Time
	Failures int
	// DisableEndpoint disables the message's endpoint (410 Gone).
	DisableEndpoint bool
}
