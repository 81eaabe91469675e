package signature

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Signer signs outbound requests and messages, so a service can deliver
// webhooks its partners verify with any library of the scheme. With
// several secrets it signs with each (key rotation: the receiver accepts
// the message whichever secret it holds). It is safe for concurrent use.
type Signer struct {
	scheme Scheme
	keys   []*key
	now    func() time.Time
}

// NewSigner returns a signer for scheme that signs with every one of
// secrets, written as the scheme writes them ("whsec_<base64>" or a
// "whsk_<base64>" private key for [StandardWebhooks], the secret itself
// for [Stripe]). A "whpk_" public key cannot sign.
//
// The option that applies is [WithClock].
func NewSigner(scheme Scheme, secrets []string, opts ...Option) (*Signer, error) {
	keys, err := decodeKeys(scheme, secrets)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		if !k.isHMAC() && k.priv == nil {
			return nil, fmt.Errorf("signature: a whpk_ public key cannot sign; give the whsk_ private key (secret %d of %d)", i+1, len(keys))
		}
	}
	c := newConfig()
	if err := c.apply(forSigner, opts); err != nil {
		return nil, err
	}
	return &Signer{scheme: scheme, keys: keys, now: c.now}, nil
}

// Sign sets the scheme's signature headers on h for a message with the
// given id, timestamp (whole seconds are signed) and body. The id is
// required by [StandardWebhooks], which rejects one holding '.', ',' or
// white space, and ignored by [Stripe].
func (s *Signer) Sign(h http.Header, id string, ts time.Time, body []byte) error {
	if h == nil {
		return errors.New("signature: nil header")
	}
	if s.scheme.usesID() {
		if err := validID(id); err != nil {
			return err
		}
	} else {
		id = ""
	}
	s.scheme.sign(h, id, ts.Unix(), body, s.keys)
	return nil
}

// SignRequest signs r with the signer's clock: it reads r.Body and puts
// it back (r.Body, r.GetBody and r.ContentLength are replaced), takes the
// message id from r's webhook-id header ([HeaderWebhookID]) or makes a new
// one with [NewMessageID], and sets the
// signature headers. Keep the webhook-id of a message across delivery
// attempts so the receiver can drop duplicates; each attempt gets a fresh
// timestamp and signature.
func (s *Signer) SignRequest(r *http.Request) error {
	if r == nil {
		return errors.New("signature: nil request")
	}
	body, err := readBody(r, -1)
	if err != nil {
		return fmt.Errorf("signature: read request body: %w", err)
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	var id string
	if s.scheme.usesID() {
		id = headerValue(r.Header, HeaderWebhookID)
		if id == "" {
			id = NewMessageID()
		}
	}
	return s.Sign(r.Header, id, s.now(), body)
}

// Transport returns an http.RoundTripper that signs every request with
// [Signer.SignRequest] before base sends it (nil means
// http.DefaultTransport). The caller's request is not modified: a clone is
// signed. A request without a webhook-id gets a new id on every attempt;
// set the header to keep it across retries.
func (s *Signer) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{signer: s, base: base}
}

type transport struct {
	signer *Signer
	base   http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	c := r.Clone(r.Context())
	if err := t.signer.SignRequest(c); err != nil {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	return t.base.RoundTrip(c)
}

// NewMessageID returns a new message id: "msg_" followed by 26 random
// base32 characters from crypto/rand.
func NewMessageID() string {
	return "msg_" + rand.Text()
}

// NewSecret returns a new Standard Webhooks secret: "whsec_" followed by
// 32 random bytes in standard base64.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// NewKeyPair returns a new Standard Webhooks key pair for the asymmetric
// "v1a" signatures (Ed25519): the private key "whsk_<base64 of 64 bytes>",
// which the sender keeps and signs with, and the public key
// "whpk_<base64 of 32 bytes>", which receivers verify with and which need
// not be kept secret.
func NewKeyPair() (secretKey, publicKey string) {
	pub, priv, _ := ed25519.GenerateKey(nil) // crypto/rand; never fails
	return secretKeyPrefix + base64.StdEncoding.EncodeToString(priv),
		publicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// validID reports whether id can be signed: 1–256 visible ASCII characters
// other than '.' and ','. A '.' would make "id.timestamp.body" ambiguous.
func validID(id string) error {
	if id == "" {
		return errors.New("signature: empty message id")
	}
	if len(id) > 256 {
		return errors.New("signature: message id longer than 256 bytes")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '.' || c == ',' {
			return fmt.Errorf("signature: message id %q holds a character other than visible ASCII without '.' and ','", id)
		}
	}
	return nil
}
