package idempotency

import "github.com/apikit-go/apikit/problem"

// Problem definitions of the errors the middleware writes. They are
// immutable values; register them in a [problem.Catalog] with
// [Definitions] to give them type URIs under your base.
var (
	// MissingKey: the method requires an idempotency key and the request
	// has none.
	MissingKey = problem.MustDefine("idempotency/missing-key", 400, "Idempotency key required", problem.WithType("idempotency-missing-key"))
	// InvalidKey: the key is empty, too long, not printable ASCII,
	// repeated, a list, or refused by the validator.
	InvalidKey = problem.MustDefine("idempotency/invalid-key", 400, "Invalid idempotency key", problem.WithType("idempotency-invalid-key"))
	// AnonymousCaller: the request carries a key but nothing the default
	// scope ([DefaultScope]) can attribute it to a caller by, so it is
	// refused rather than risk replaying another caller's response.
	AnonymousCaller = problem.MustDefine("idempotency/anonymous-caller", 400, "Idempotency key needs an identified caller", problem.WithType("idempotency-anonymous-caller"))
	// KeyInProgress: a request with the same key is still running.
	KeyInProgress = problem.MustDefine("idempotency/in-progress", 409, "Request in progress", problem.WithType("idempotency-in-progress"), problem.WithRetryable(true))
	// KeyMismatch: the key was first used with a different request
	// (method, path, query or body).
	KeyMismatch = problem.MustDefine("idempotency/mismatch", 422, "Idempotency key reused", problem.WithType("idempotency-mismatch"))
	// ResponseNotStored: the request with this key completed, but its
	// response was too large to keep, so it can be neither replayed nor
	// run again.
	ResponseNotStored = problem.MustDefine("idempotency/response-not-stored", 409, "Response not stored", problem.WithType("idempotency-response-not-stored"))
	// ScopeFull: the caller holds as many idempotency records as the store
	// allows one scope (see [ErrScopeFull]); other callers are not
	// affected.
	ScopeFull = problem.MustDefine("idempotency/scope-full", 429, "Too many idempotency keys", problem.WithType("idempotency-scope-full"), problem.WithRetryable(true))
	// StoreUnavailable: the idempotency store failed, so the request was
	// not run.
	StoreUnavailable = problem.MustDefine("idempotency/store-unavailable", 503, "Idempotency store unavailable", problem.WithType("idempotency-store-unavailable"))
	// CorruptRecord: a stored response could not be decoded.
	CorruptRecord = problem.MustDefine("idempotency/corrupt-record", 500, "Stored response unreadable", problem.WithType("idempotency-corrupt-record"))
)

// Definitions returns the problem definitions this package writes, for
// registering in a [problem.Catalog].
func Definitions() []problem.Definition {
	return []problem.Definition{MissingKey, InvalidKey, AnonymousCaller, KeyInProgress, KeyMismatch, ResponseNotStored, ScopeFull, StoreUnavailable, CorruptRecord}
}
