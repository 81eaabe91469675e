package signature

import (
	"errors"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// Defaults of a [Verifier].
const (
	// DefaultTolerance is how far a signature's timestamp may be from the
	// verifier's clock, in the past or in the future.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes is the largest body a Verifier reads.
	DefaultMaxBodyBytes = 1 << 20
)

// VerifyOption configures a [Verifier].
type VerifyOption interface{ applyVerify(*verifyConfig) }

// SignOption configures a [Signer].
type SignOption interface{ applySign(*signConfig) }

// Option configures a [Verifier] or a [Signer].
type Option interface {
	VerifyOption
	SignOption
}

type verifyConfig struct {
	now       func() time.Time
	tolerance time.Duration
	maxBody   int64
	store     ReplayStore
	memory    bool
	errWriter problem.ErrorWriter
	err       error
}

type signConfig struct {
	now   func() time.Time
	newID func() string
}

type verifyOptionFunc func(*verifyConfig)

func (f verifyOptionFunc) applyVerify(c *verifyConfig) { f(c) }

type signOptionFunc func(*signConfig)

func (f signOptionFunc) applySign(c *signConfig) { f(c) }

type clockOption struct{ now func() time.Time }

func (o clockOption) applyVerify(c *verifyConfig) { c.now = o.now }
func (o clockOption) applySign(c *signConfig)     { c.now = o.now }

// WithClock sets the clock that timestamps are signed with and checked
// against; nil means time.Now. Tests inject a fixed clock with it.
func WithClock(now func() time.Time) Option {
	if now == nil {
		now = time.Now
	}
	return clockOption{now}
}

// WithTolerance sets how far a timestamp may be from the verifier's clock,
// in the past or in the future (default [DefaultTolerance]). It must be
// positive. Replay records are kept for as long.
func WithTolerance(d time.Duration) VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) {
		if d <= 0 {
			c.err = errors.New("signature: tolerance must be positive")
			return
		}
		c.tolerance = d
	})
}

// WithMaxBodyBytes sets the largest body [Verifier.VerifyRequest] and the
// middleware read (default [DefaultMaxBodyBytes]); a larger one is
// answered with 413 [problem.RequestTooLarge]. It must be positive.
func WithMaxBodyBytes(n int64) VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) {
		if n <= 0 {
			c.err = errors.New("signature: max body bytes must be positive")
			return
		}
		c.maxBody = n
	})
}

// WithReplayProtection rejects a second message with an id already
// accepted within the tolerance window, using an in-memory store that the
// verifier owns ([NewMemoryStore] with the verifier's clock); call
// [Verifier.Close] to stop it. Use [WithReplayStore] to share records
// between processes.
func WithReplayProtection() VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) { c.memory, c.store = true, nil })
}

// WithReplayStore rejects a second message with an id already accepted,
// keeping the ids in store, which the caller owns (the verifier never
// closes it). A nil store turns replay protection off.
func WithReplayStore(store ReplayStore) VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) { c.memory, c.store = false, store })
}

// WithErrorWriter sets how [Verifier.Middleware] answers a rejected
// request; nil means problem.Writer{}, plain RFC 9457. Pass the service's
// envelope writer so errors look like every other response.
func WithErrorWriter(ew problem.ErrorWriter) VerifyOption {
	return verifyOptionFunc(func(c *verifyConfig) { c.errWriter = ew })
}

// WithIDGenerator sets how a [Signer] names a message that has no id yet
// (Standard Webhooks only). The default is "msg_" followed by 26 random
// base32 characters. Ids must not contain '.', ' ' or ','.
func WithIDGenerator(newID func() string) SignOption {
	return signOptionFunc(func(c *signConfig) { c.newID = newID })
}
