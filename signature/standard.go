package signature

import (
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
)

// StandardWebhooks returns the Standard Webhooks scheme
// (https://www.standardwebhooks.com): three headers, webhook-id,
// webhook-timestamp (Unix seconds) and webhook-signature, a space-separated
// list of "v1,<base64>" signatures; the signed content is
// "id.timestamp.body" under HMAC-SHA256. Secrets are written
// "whsec_<base64>" (the prefix may be left out); the key is the decoded
// bytes. Signatures of other versions (v1a, v2, ...) are ignored when
// verifying. It is interoperable with the official Standard Webhooks and
// Svix libraries.
func StandardWebhooks() Scheme { return standardWebhooks{} }

type standardWebhooks struct{}

func (standardWebhooks) String() string { return "standard-webhooks" }

func (standardWebhooks) usesID() bool { return true }

func (standardWebhooks) check() error { return nil }

// challenge names the scheme in WWW-Authenticate: its signature header.
func (standardWebhooks) challenge() string { return "Webhook-Signature" }

func (standardWebhooks) decodeSecret(secret string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil {
		return nil, errors.New("signature: a standard-webhooks secret must be whsec_ followed by standard base64")
	}
	if len(b) == 0 {
		return nil, errors.New("signature: empty secret")
	}
	return b, nil
}

func (standardWebhooks) sign(h http.Header, id string, ts int64, body []byte, keys []*key) {
	var sum [sha256.Size]byte
	enc := base64.StdEncoding
	b := make([]byte, 0, len(keys)*(4+enc.EncodedLen(sha256.Size)))
	for i, k := range keys {
		k.sum(&sum, id, ts, body)
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, "v1,"...)
		b = enc.AppendEncode(b, sum[:])
	}
	h[HeaderWebhookID] = []string{id}
	h[headerWebhookTimestamp] = []string{strconv.FormatInt(ts, 10)}
	h[headerWebhookSignature] = []string{string(b)}
}

// sigB64Len is the length of a padded base64 HMAC-SHA256.
const sigB64Len = 44

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
	var scratch [4][sha256.Size]byte
	var macs [][sha256.Size]byte
	var sig [sha256.Size + 1]byte
	var src [sigB64Len]byte
	candidates, malformed, matched := 0, 0, false
	for _, v := range sigs {
		for tok := range strings.FieldsSeq(v) {
			version, value, ok := strings.Cut(tok, ",")
			if !ok {
				malformed++
				continue
			}
			if version != "v1" {
				continue
			}
			if len(value) != sigB64Len {
				malformed++
				continue
			}
			copy(src[:], value)
			n, err := base64.StdEncoding.Decode(sig[:], src[:])
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
		}
	}
	switch {
	case matched:
		return id, ts, nil
	case candidates > 0:
		return "", 0, InvalidSignature.New("No signature in the webhook-signature header matches the request")
	case malformed > 0:
		return "", 0, InvalidSignature.New("The webhook-signature header is malformed (want v1,<base64>)")
	default:
		return "", 0, InvalidSignature.New("The webhook-signature header holds no v1 signature")
	}
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
