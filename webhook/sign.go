package webhook

import (
	"net/http"
	"time"

	"github.com/apikit-go/apikit/signature"
)

// Signer signs one delivery attempt: it sets the signature headers on h
// for the message id, the attempt's timestamp and the body.
// *signature.Signer implements it.
type Signer interface {
	Sign(h http.Header, id string, ts time.Time, body []byte) error
}

// This file is the one place the package depends on the signature API.

// newSigner returns the signer of a Dispatcher: the one given with
// WithSigner, else one for secrets in the Standard Webhooks scheme, or in
// the "t=…,v1=…" scheme under WithSignatureHeader's header.
func newSigner(c *config, secrets []string) (Signer, error) {
	if c.signer != nil {
		return c.signer, nil
	}
	scheme := signature.StandardWebhooks()
	if c.sigHeader != "" {
		scheme = signature.Stripe(c.sigHeader)
	}
	return signature.NewSigner(scheme, secrets)
}

// newMessageID returns a new random message id.
func newMessageID() string { return signature.NewMessageID() }
