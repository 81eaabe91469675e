package signature

import (
	"errors"
	"fmt"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// Option configures a [Verifier], a [Signer] or a [MemoryStore]. Each
// option's documentation says which of them it applies to; giving a
// constructor an option that does not apply to what it builds is an error
// (for example [WithMaxEntries] to [NewSigner]).
type Option interface {
	option() option
}

// target is the set of constructors an option applies to.
type target uint8

const (
	forVerifier target = 1 << iota
	forSigner
	forStore
)

func (t target) String() string {
	switch t {
	case forVerifier:
		return "a verifier"
	case forSigner:
		return "a signer"
	default:
		return "a memory store"
	}
}

type option struct {
	name string
	to   target
	set  func(*config) error
}

func (o option) option() option { return o }

// config holds every setting; each constructor reads the ones it uses.
type config struct {
	now        func() time.Time
	tolerance  time.Duration
	maxBody    int64
	store      ReplayStore
	memory     bool
	errWriter  problem.ErrorWriter
	maxEntries int
	sweepEvery time.Duration
}

func newConfig() config {
	return config{
		now:        time.Now,
		tolerance:  5 * time.Minute,
		maxBody:    1 << 20,
		maxEntries: 100_000,
		sweepEvery: time.Minute,
	}
}

// apply applies opts meant for t, in order; a nil option is skipped.
func (c *config) apply(t target, opts []Option) error {
	for _, o := range opts {
		if o == nil {
			continue
		}
		op := o.option()
		if op.to&t == 0 {
			return fmt.Errorf("signature: %s does not apply to %s", op.name, t)
		}
		if err := op.set(c); err != nil {
			return err
		}
	}
	return nil
}

// maxTolerance bounds [WithTolerance]: far beyond any clock skew, and small
// enough that timestamps are compared without overflow.
const maxTolerance = 30 * 24 * time.Hour

// WithClock sets the clock that timestamps are signed with and checked
// against, and that decides when replay records expire; nil means
// time.Now. It applies to a [Verifier], a [Signer] and a [MemoryStore];
// tests inject a fixed clock with it. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return option{"WithClock", forVerifier | forSigner | forStore, func(c *config) error {
		if now == nil {
			now = time.Now
		}
		c.now = now
		return nil
	}}
}

// WithTolerance sets how far a timestamp may be from the verifier's clock,
// in the past or in the future; replay records are kept for as long. It
// must be positive and at most 30 days. It applies to a [Verifier].
// Default: 5 minutes.
func WithTolerance(d time.Duration) Option {
	return option{"WithTolerance", forVerifier, func(c *config) error {
		if d <= 0 || d > maxTolerance {
			return errors.New("signature: tolerance must be positive and at most 30 days")
		}
		c.tolerance = d
		return nil
	}}
}

// WithMaxBodyBytes sets the largest body [Verifier.VerifyRequest] and
// [Verifier.Handler] read; a larger one is answered with 413
// [problem.RequestTooLarge]. It must be positive. It applies to a
// [Verifier]. Default: 1 MiB.
func WithMaxBodyBytes(n int64) Option {
	return option{"WithMaxBodyBytes", forVerifier, func(c *config) error {
		if n <= 0 {
			return errors.New("signature: max body bytes must be positive")
		}
		c.maxBody = n
		return nil
	}}
}

// WithReplayProtection rejects a second message with an id already
// accepted within the tolerance window, using a [MemoryStore] that the
// verifier owns (built with the verifier's [WithClock], [WithMaxEntries]
// and [WithSweepInterval]); call [Verifier.Close] to stop its sweep. Use
// [WithReplayStore] to share records between processes. It applies to a
// [Verifier]. Default: no replay protection.
func WithReplayProtection() Option {
	return option{"WithReplayProtection", forVerifier, func(c *config) error {
		c.memory, c.store = true, nil
		return nil
	}}
}

// WithReplayStore rejects a second message with an id already accepted,
// keeping the ids in store, which the caller owns (the verifier never
// closes it). A nil store turns replay protection off. It applies to a
// [Verifier]. Default: no replay protection.
func WithReplayStore(store ReplayStore) Option {
	return option{"WithReplayStore", forVerifier, func(c *config) error {
		c.memory, c.store = false, store
		return nil
	}}
}

// WithErrorWriter sets how [Verifier.Handler] answers a rejected request.
// When it is not set (or nil), the middleware answers with the error writer
// in the request's context (put there by the envelope middleware), else as
// plain RFC 9457: see [problem.WriteTo]. It applies to a [Verifier].
// Default: the writer in the request's context.
func WithErrorWriter(ew problem.ErrorWriter) Option {
	return option{"WithErrorWriter", forVerifier, func(c *config) error {
		c.errWriter = ew
		return nil
	}}
}

// WithMaxEntries bounds the number of ids a [MemoryStore] keeps; when it is
// full, the id closest to expiry is dropped first. It must be positive. It
// applies to a MemoryStore and to the one [WithReplayProtection] makes for
// a [Verifier]. Default: 100,000.
func WithMaxEntries(n int) Option {
	return option{"WithMaxEntries", forStore | forVerifier, func(c *config) error {
		if n < 1 {
			return errors.New("signature: max entries must be positive")
		}
		c.maxEntries = n
		return nil
	}}
}

// WithSweepInterval sets how often a [MemoryStore] drops expired ids in
// the background; d <= 0 turns the sweep off, leaving expired ids to be
// dropped as new ones come in. It applies to a MemoryStore and to the one
// [WithReplayProtection] makes for a [Verifier]. Default: 1 minute.
func WithSweepInterval(d time.Duration) Option {
	return option{"WithSweepInterval", forStore | forVerifier, func(c *config) error {
		c.sweepEvery = d
		return nil
	}}
}
