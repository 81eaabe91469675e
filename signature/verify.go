package signature

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// Message is what a verified signature vouches for.
type Message struct {
	// ID is the message id: the webhook-id header in the Standard Webhooks
	// scheme, an id derived from the timestamp and the body in the
	// Stripe-style scheme. Use it to process a message once.
	ID string
	// Timestamp is the signed timestamp, whole seconds, UTC.
	Timestamp time.Time

	// key and token name the replay record the verifier holds for the
	// message, if any ([Verifier.Release]).
	key, token string
}

// Verifier checks signatures of inbound requests or messages. It accepts a
// message signed with any of its secrets (key rotation) and any one valid
// signature among several. It is safe for concurrent use.
type Verifier struct {
	scheme    Scheme
	keys      []*key
	now       func() time.Time
	tolerance time.Duration
	maxBody   int64
	store     ReplayStore
	owned     *MemoryStore
	errWriter problem.ErrorWriter
}

// NewVerifier returns a verifier for scheme that accepts signatures made
// with any of secrets, written as the scheme writes them ("whsec_<base64>"
// secrets, "whpk_<base64>" public keys or "whsk_<base64>" private keys for
// [StandardWebhooks]; the secret itself for [Stripe]). It fails when
// secrets is empty or one of them cannot be decoded.
//
// Options that apply: [WithClock], [WithTolerance], [WithMaxBodyBytes],
// [WithReplayProtection] (with [WithMaxEntries] and [WithSweepInterval]),
// [WithReplayStore] and [WithErrorWriter].
func NewVerifier(scheme Scheme, secrets []string, opts ...Option) (*Verifier, error) {
	keys, err := decodeKeys(scheme, secrets)
	if err != nil {
		return nil, err
	}
	c := newConfig()
	if err := c.apply(forVerifier, opts); err != nil {
		return nil, err
	}
	v := &Verifier{
		scheme: scheme, keys: keys, now: c.now, tolerance: c.tolerance,
		maxBody: c.maxBody, store: c.store, errWriter: c.errWriter,
	}
	if c.memory {
		v.owned = newMemoryStore(c)
		v.store = v.owned
	}
	return v, nil
}

func decodeKeys(scheme Scheme, secrets []string) ([]*key, error) {
	if scheme == nil {
		return nil, errors.New("signature: nil scheme")
	}
	if err := scheme.check(); err != nil {
		return nil, err
	}
	if len(secrets) == 0 {
		return nil, errors.New("signature: no secret")
	}
	keys := make([]*key, len(secrets))
	for i, s := range secrets {
		k, err := scheme.decodeKey(s)
		if err != nil {
			return nil, fmt.Errorf("%w (secret %d of %d)", err, i+1, len(secrets))
		}
		keys[i] = k
	}
	return keys, nil
}

// Verify checks the signature headers in h against body: one signature
// must match under one secret, then the timestamp must be within the
// tolerance, then, with replay protection, the id must be new: it is then
// held as accepted until the timestamp leaves the tolerance window, unless
// [Verifier.Release] gives it back. Errors are
// *problem.Problem values: [MissingSignature], [InvalidSignature],
// [TimestampOutOfTolerance], [ReplayedRequest], or a 503
// [problem.ServiceUnavailable] when the replay store fails. The timestamp
// is only judged once the signature is valid, so a forger learns nothing
// but "invalid signature".
func (v *Verifier) Verify(ctx context.Context, h http.Header, body []byte) (Message, error) {
	id, ts, err := v.scheme.verify(h, body, v.keys)
	if err != nil {
		return Message{}, err
	}
	if err := checkTimestamp(v.now(), ts, v.tolerance); err != nil {
		return Message{}, err
	}
	sent := time.Unix(ts, 0).UTC()
	m := Message{ID: id, Timestamp: sent}
	if v.store != nil {
		m.key, m.token = replayKey(id), rand.Text()
		first, err := v.store.Reserve(ctx, m.key, m.token, sent.Add(v.tolerance))
		if err != nil {
			return Message{}, problem.ServiceUnavailable.Wrap(err, "Replay protection is unavailable; retry later")
		}
		if !first {
			return Message{}, ReplayedRequest.New("A message with this id was already accepted")
		}
	}
	return m, nil
}

// Release gives back the id of m, a message [Verifier.Verify] accepted,
// so that the same message may be accepted again: call it when the
// message could not be processed. It does nothing without replay
// protection, and is safe to repeat. [Verifier.Handler] calls it for every
// request whose handler answers with an error status (4xx or 5xx) or
// panics.
func (v *Verifier) Release(ctx context.Context, m Message) error {
	if v.store == nil || m.key == "" {
		return nil
	}
	return v.store.Release(ctx, m.key, m.token)
}

// maxSkewSeconds bounds the distance between a timestamp and the clock
// that is turned into a time.Duration: far beyond any tolerance
// ([maxTolerance]) and far below the ~292 years a Duration holds.
const maxSkewSeconds = 1 << 32

// checkTimestamp reports a timestamp further from now than tol, in either
// direction, without overflow whatever ts is.
func checkTimestamp(now time.Time, ts int64, tol time.Duration) error {
	diff := now.Unix() - ts // |ts| < 10^18 and now is near 0: no overflow
	switch {
	case diff > maxSkewSeconds:
		return TimestampOutOfTolerance.New("The signature timestamp is far in the past, beyond the tolerance of " + seconds(tol))
	case diff < -maxSkewSeconds:
		return TimestampOutOfTolerance.New("The signature timestamp is far in the future, beyond the tolerance of " + seconds(tol))
	}
	age := time.Duration(diff)*time.Second + time.Duration(now.Nanosecond())
	switch {
	case age > tol:
		return TimestampOutOfTolerance.New("The signature timestamp is " + seconds(age) +
			" in the past, beyond the tolerance of " + seconds(tol))
	case -age > tol:
		return TimestampOutOfTolerance.New("The signature timestamp is " + seconds(-age) +
			" in the future, beyond the tolerance of " + seconds(tol))
	}
	return nil
}

func seconds(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// VerifyRequest reads r's body once, under the size limit, puts it back
// so the handler can read it again (r.Body, r.GetBody and r.ContentLength
// are replaced), and verifies it with [Verifier.Verify]. A body over the
// limit is a 413 [problem.RequestTooLarge]; one that cannot be read, a 400
// [problem.InvalidRequest].
func (v *Verifier) VerifyRequest(r *http.Request) (Message, error) {
	body, err := readBody(r, v.maxBody)
	if err != nil {
		return Message{}, err
	}
	return v.Verify(r.Context(), r.Header, body)
}

// Close stops the in-memory replay store the verifier owns
// ([WithReplayProtection]); it does nothing otherwise. The verifier keeps
// working after Close, its store only stops sweeping in the background.
func (v *Verifier) Close() error {
	if v.owned != nil {
		return v.owned.Close()
	}
	return nil
}
