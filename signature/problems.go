package signature

import "github.com/apikit-go/apikit/problem"

// The problems a [Verifier] answers with. All four are 401 and none of them
// ever carries the expected signature or the computed MAC; errors.Is(err,
// InvalidSignature) matches every occurrence.
var (
	// MissingSignature: a header the scheme needs (the signature, and for
	// Standard Webhooks the id and the timestamp) is absent or empty.
	MissingSignature = problem.MustDefine("auth/missing-signature", 401, "Missing signature",
		problem.WithType("missing-signature"))
	// InvalidSignature: the signature headers are malformed, or no
	// signature matches the request under any accepted secret.
	InvalidSignature = problem.MustDefine("auth/invalid-signature", 401, "Invalid signature",
		problem.WithType("invalid-signature"))
	// TimestampOutOfTolerance: the signature is valid but its timestamp is
	// further from the verifier's clock than the tolerance allows, in the
	// past or in the future.
	TimestampOutOfTolerance = problem.MustDefine("auth/timestamp-out-of-tolerance", 401, "Timestamp out of tolerance",
		problem.WithType("timestamp-out-of-tolerance"))
	// ReplayedRequest: the signature is valid but a message with the same
	// id was already accepted within the tolerance window.
	ReplayedRequest = problem.MustDefine("auth/replayed-request", 401, "Replayed request",
		problem.WithType("replayed-request"))
)

// Definitions returns the problem definitions of this package, in a new
// slice, for registering in a [problem.Catalog].
func Definitions() []problem.Definition {
	return []problem.Definition{MissingSignature, InvalidSignature, TimestampOutOfTolerance, ReplayedRequest}
}
