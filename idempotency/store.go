package idempotency

import (
	"context"
	"errors"
	"time"
)

// Store keeps idempotency records. Implementations must make every method
// atomic with respect to the others for the same key, across goroutines and
// (for shared stores) across processes, and safe to repeat: a client that
// retries a call whose answer it lost (after a read timeout, say) must get
// the same result. The conformance suite, idempotency/idemtest, states the
// contract as tests; every Store must pass it.
//
// A record is identified by key (already scoped by the middleware to the
// caller and route) and holds the request's fingerprint, an owner token, a
// state (in progress or completed) and, when completed, the encoded
// response. Stores never interpret the response bytes. The middleware's
// keys are the caller's scope (32 hex digits), "/" and the record's id (64
// hex digits); a store bounds the records one scope may hold so that one
// caller cannot fill it for everyone, and answers a claim beyond that bound
// with an error wrapping [ErrScopeFull].
//
// An in-progress record whose lease has run out, and a completed record
// whose retention has run out, count as no record for every method: its
// former owner gets ErrNotOwner from Extend, Complete and Release. A
// completed record is held by no one: Extend, Complete and Release on it
// return ErrNotOwner and leave it as it is.
type Store interface {
	// Claim tries to take key for a new request. In this order:
	//   - no record, or an in-progress record whose lease has run out
	//     (treated exactly as no record): a new in-progress record owned by
	//     owner with the given lease is written → Acquired;
	//   - a record whose fingerprint differs → Mismatch (nothing written);
	//   - an in-progress record owned by owner (the same claim, repeated)
	//     → Acquired, its lease renewed;
	//   - an in-progress record with a live lease → InProgress, RetryAfter
	//     the lease time left (> 0);
	//   - a completed record → Completed, Response its bytes.
	Claim(ctx context.Context, key, fingerprint, owner string, lease time.Duration) (Claim, error)
	// Extend renews the lease of an in-progress record held by owner.
	// It returns ErrNotOwner if the record is gone, completed or owned by
	// another token.
	Extend(ctx context.Context, key, owner string, lease time.Duration) error
	// Complete stores response and marks the record completed, kept for
	// retention, if owner still holds it; otherwise ErrNotOwner and
	// nothing changes.
	Complete(ctx context.Context, key, owner string, response []byte, retention time.Duration) error
	// Release deletes an in-progress record held by owner, so the next
	// request with the key runs; ErrNotOwner otherwise (nothing changes).
	Release(ctx context.Context, key, owner string) error
}

// Outcome is the result of [Store.Claim].
type Outcome int

// Outcomes of a claim.
const (
	// Acquired: the caller owns the key and must Complete or Release it.
	Acquired Outcome = iota + 1
	// InProgress: another request holds the key.
	InProgress
	// Completed: the key has a stored response to replay.
	Completed
	// Mismatch: the key was used with a different request.
	Mismatch
)

// String returns the outcome's name.
func (o Outcome) String() string {
	switch o {
	case Acquired:
		return "acquired"
	case InProgress:
		return "in-progress"
	case Completed:
		return "completed"
	case Mismatch:
		return "mismatch"
	}
	return "unknown"
}

// Claim is what [Store.Claim] found.
type Claim struct {
	Outcome Outcome
	// Response is the stored response (Completed only). It is read-only:
	// the middleware keeps references to it (the replayed header values),
	// so neither the store nor the caller may modify it afterwards.
	Response []byte
	// RetryAfter is the lease time left (InProgress only).
	RetryAfter time.Duration
}

// ErrNotOwner reports that the caller's owner token no longer holds the
// key: its lease ran out and another request took it, or it was completed
// or released.
var ErrNotOwner = errors.New("idempotency: not the owner of the key")
