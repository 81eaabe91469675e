package signature

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// HeaderWebhookID is the Standard Webhooks message id header, in canonical
// form (header names are case-insensitive: on the wire it matches the
// specification's webhook-id). A sender sets it on a request to keep one
// id across delivery attempts ([Signer.SignRequest]).
const HeaderWebhookID = "Webhook-Id"

// The other headers of the Standard Webhooks scheme, and its secret prefix.
const (
	headerWebhookTimestamp = "Webhook-Timestamp"
	headerWebhookSignature = "Webhook-Signature"
	secretPrefix           = "whsec_"
	secretKeyPrefix        = "whsk_"
	publicKeyPrefix        = "whpk_"
)

// StandardWebhooks returns the Standard Webhooks scheme
// (https://www.standardwebhooks.com): three headers, webhook-id,
// webhook-timestamp (Unix seconds) and webhook-signature, a space-separated
// list of signatures of "id.timestamp.body". The kind of each key decides
// its signature, and a verifier or signer may mix them (for example while
// moving from shared secrets to key pairs):
//
//   - "whsec_<base64>" (the prefix may be left out): an HMAC-SHA256 secret,
//     signatures "v1,<base64>";
//   - "whsk_<base64>": an Ed25519 private key, the 64 bytes of seed and
//     public key as Go's crypto/ed25519 and libsodium hold it (a 32-byte
//     seed is accepted too), signatures "v1a,<base64>"; it signs and
//     verifies;
//   - "whpk_<base64>": the 32-byte Ed25519 public key, which only verifies:
//     what a receiver holds ([NewKeyPair]).
//
// Signatures a verifier has no key for (v1 without a secret, v1a without a
// key pair, v2, ...) are ignored. Message ids are 1 to 256 visible ASCII
// characters other than '.' and ','. It is interoperable with the
// official Standard Webhooks and Svix libraries for v1.
func StandardWebhooks() Scheme { return standardWebhooks{} }

type standardWebhooks struct{}

func (standardWebhooks) String() string { return "standard-webhooks" }

func (standardWebhooks) usesID() bool { return true }

func (standardWebhooks) check() error { return nil }

// challenge names the scheme in WWW-Authenticate: its signature header.
func (standardWebhooks) challenge() string { return "Webhook-Signature" }

func (standardWebhooks) decodeKey(secret string) (*key, error) {
	prefix, kind := secretPrefix, "whsec_"
	switch {
	case strings.HasPrefix(secret, secretKeyPrefix):
		prefix, kind = secretKeyPrefix, secretKeyPrefix
	case strings.HasPrefix(secret, publicKeyPrefix):
		prefix, kind = publicKeyPrefix, publicKeyPrefix
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, prefix))
	if err != nil {
		return nil, errors.New("signature: a standard-webhooks " + kind + " key must be " + kind + " followed by standard base64")
	}
	switch kind {
	case secretKeyPrefix:
		switch len(b) {
		case ed25519.SeedSize:
			priv := ed25519.NewKeyFromSeed(b)
			return &key{priv: priv, pub: priv.Public().(ed25519.PublicKey)}, nil
		case ed25519.PrivateKeySize:
			priv := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
			if !bytes.Equal(priv[ed25519.SeedSize:], b[ed25519.SeedSize:]) {
				return nil, errors.New("signature: the whsk_ key's public half does not match its seed")
			}
			return &key{priv: priv, pub: priv.Public().(ed25519.PublicKey)}, nil
		}
		return nil, errors.New("signature: a whsk_ key must hold a 64-byte Ed25519 private key (or its 32-byte seed)")
	case publicKeyPrefix:
		if len(b) != ed25519.PublicKeySize {
			return nil, errors.New("signature: a whpk_ key must hold a 32-byte Ed25519 public key")
		}
		return &key{pub: ed25519.PublicKey(b)}, nil
	}
	if len(b) == 0 {
		return nil, errors.New("signature: empty secret")
	}
	return newKey(b), nil
}

func (standardWebhooks) sign(h http.Header, id string, ts int64, body []byte, keys []*key) {
	var sum [sha256.Size]byte
	var content []byte
	enc := base64.StdEncoding
	n := 0
	for _, k := range keys {
		if k.isHMAC() {
			n += len("v1, ") + sigB64Len
		} else {
			n += len("v1a, ") + sigB64LenA
		}
	}
	b := make([]byte, 0, n)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ' ')
		}
		if k.isHMAC() {
			k.sum(&sum, id, ts, body)
			b = append(b, "v1,"...)
			b = enc.AppendEncode(b, sum[:])
			continue
		}
		if content == nil {
			content = signedContent(id, ts, body)
		}
		b = append(b, "v1a,"...)
		b = enc.AppendEncode(b, ed25519.Sign(k.priv, content))
	}
	h[HeaderWebhookID] = []string{id}
	h[headerWebhookTimestamp] = []string{strconv.FormatInt(ts, 10)}
	h[headerWebhookSignature] = []string{string(b)}
}

// The lengths of a padded base64 HMAC-SHA256 and Ed25519 signature.
const (
	sigB64Len  = 44
	sigB64LenA = 88
)

func (standardWebhooks) verify(h http.Header, body []byte, keys []*key) (string, int64, error) {
	id := headerValue(h, HeaderWebhookID)
	rawTS := headerValue(h, headerWebhookTimestamp)
	sigs := h[headerWebhookSignature]
	switch {
	case id == "":
		return "", 0, MissingSignature.New("The webhook-id header is missing")
	case rawTS == "":
		return "", 0, MissingSignature.New("The webhook-timestamp header is missing")
	case blank(sigs):
		return "", 0, MissingSignature.New("The webhook-signature header is missing")
	}
	if validID(id) != nil {
		return "", 0, InvalidSignature.New("The webhook-id header is not a valid message id " +
			"(1 to 256 visible ASCII characters other than '.' and ',')")
	}
	ts, ok := parseUnix(rawTS)
	if !ok {
		return "", 0, InvalidSignature.New("The webhook-timestamp header is not a Unix timestamp in seconds")
	}
	hasHMAC, hasEd := false, false
	for _, k := range keys {
		if k.isHMAC() {
			hasHMAC = true
		} else {
			hasEd = true
		}
	}
	var scratch [4][sha256.Size]byte
	var macs [][sha256.Size]byte
	var content []byte
	var sig [ed25519.SignatureSize + 2]byte
	var src [sigB64LenA]byte
	candidates, malformed, matched := 0, 0, false
	for _, v := range sigs {
		for tok := range strings.FieldsSeq(v) {
			version, value, ok := strings.Cut(tok, ",")
			if !ok {
				malformed++
				continue
			}
			switch {
			case version == "v1" && hasHMAC:
				if len(value) != sigB64Len {
					malformed++
					continue
				}
				copy(src[:], value)
				n, err := base64.StdEncoding.Decode(sig[:], src[:sigB64Len])
				if err != nil || n != sha256.Size {
					malformed++
					continue
				}
				candidates++
				if macs == nil {
					macs = sums(scratch[:], keys, id, ts, body)
				}
				if matches(macs, sig[:n]) {
					matched = true
				}
			case version == "v1a" && hasEd:
				if len(value) != sigB64LenA {
					malformed++
					continue
				}
				copy(src[:], value)
				n, err := base64.StdEncoding.Decode(sig[:], src[:])
				if err != nil || n != ed25519.SignatureSize {
					malformed++
					continue
				}
				candidates++
				if matched || candidates > maxEd25519Candidates {
					continue // each check costs ~50µs: bound the work a header can cause
				}
				if content == nil {
					content = signedContent(id, ts, body)
				}
				for _, k := range keys {
					if !k.isHMAC() && ed25519.Verify(k.pub, content, sig[:n]) {
						matched = true
					}
				}
			}
		}
	}
	switch {
	case matched:
		return id, ts, nil
	case candidates > 0:
		return "", 0, InvalidSignature.New("No signature in the webhook-signature header matches the request")
	case malformed > 0:
		return "", 0, InvalidSignature.New("The webhook-signature header is malformed (want v1,<base64> or v1a,<base64>)")
	default:
		return "", 0, InvalidSignature.New("The webhook-signature header holds no " + versions(hasHMAC, hasEd) + " signature")
	}
}

// maxEd25519Candidates bounds the v1a signatures checked per message.
const maxEd25519Candidates = 8

// versions names the signature versions a verifier with these keys checks.
func versions(hmac, ed bool) string {
	switch {
	case hmac && ed:
		return "v1 or v1a"
	case ed:
		return "v1a"
	}
	return "v1"
}

// blank reports whether a header has no value but white space.
func blank(values []string) bool {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
