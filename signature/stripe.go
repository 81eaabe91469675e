package signature

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// Stripe returns the Stripe-style scheme: one header, named header
// (for example "X-ICP-Signature"; "" means "Stripe-Signature"), holding
// "t=<unix seconds>,v1=<hex>[,v1=<hex>...]"; the signed content is
// "timestamp.body" under HMAC-SHA256. Secrets are used as they are written:
// their bytes are the key, as Stripe does with its whsec_ secrets. Items
// other than t and v1 (such as Stripe's v0) are ignored when verifying.
//
// The scheme carries no message id. The [Message.ID] of a verified message
// is derived from its timestamp and body ("sig_" then 32 hex digits, a
// one-way function of the MAC under the first secret), so replay
// protection works with it too.
//
// A header that is not a valid HTTP header name makes [NewVerifier] and
// [NewSigner] fail.
func Stripe(header string) Scheme {
	if header == "" {
		header = "Stripe-Signature"
	}
	if !validHeaderName(header) {
		return stripeScheme{header: header, err: errors.New("signature: invalid header name " + strconv.Quote(header))}
	}
	return stripeScheme{header: textproto.CanonicalMIMEHeaderKey(header), name: header}
}

type stripeScheme struct {
	header string // canonical
	name   string // as given
	err    error
}

// challenge names the scheme in WWW-Authenticate: the header's name.
func (s stripeScheme) challenge() string { return s.name }

func (s stripeScheme) check() error { return s.err }

func (s stripeScheme) String() string { return "stripe(" + s.header + ")" }

func (stripeScheme) usesID() bool { return false }

func (stripeScheme) decodeKey(secret string) (*key, error) {
	if secret == "" {
		return nil, errors.New("signature: empty secret")
	}
	return newKey([]byte(secret)), nil
}

func (s stripeScheme) sign(h http.Header, _ string, ts int64, body []byte, keys []*key) {
	var sum [sha256.Size]byte
	b := make([]byte, 0, 16+len(keys)*(4+2*sha256.Size))
	b = append(b, "t="...)
	b = strconv.AppendInt(b, ts, 10)
	for _, k := range keys {
		k.sum(&sum, "", ts, body)
		b = append(b, ",v1="...)
		b = hex.AppendEncode(b, sum[:])
	}
	h[s.header] = []string{string(b)}
}

// sigHexLen is the length of a hex HMAC-SHA256.
const sigHexLen = 2 * sha256.Size

func (s stripeScheme) verify(h http.Header, body []byte, keys []*key) (string, int64, error) {
	values := h[s.header]
	if blank(values) {
		return "", 0, MissingSignature.Newf("The %s header is missing", s.header)
	}
	var (
		ts                    int64
		haveTS                bool
		sig                   [sha256.Size]byte
		src                   [sigHexLen]byte
		scratch               [4][sha256.Size]byte
		sigs                  [8][sha256.Size]byte
		candidates, malformed int
	)
	var extra [][sha256.Size]byte
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok {
				if strings.TrimSpace(item) != "" {
					malformed++
				}
				continue
			}
			switch k {
			case "t":
				n, ok := parseUnix(val)
				if !ok || haveTS {
					return "", 0, InvalidSignature.Newf("The %s header has a malformed or repeated timestamp", s.header)
				}
				ts, haveTS = n, true
			case "v1":
				if len(val) != sigHexLen {
					malformed++
					continue
				}
				copy(src[:], val)
				if _, err := hex.Decode(sig[:], src[:]); err != nil {
					malformed++
					continue
				}
				if candidates < len(sigs) {
					sigs[candidates] = sig
				} else {
					extra = append(extra, sig)
				}
				candidates++
			}
		}
	}
	if !haveTS {
		return "", 0, InvalidSignature.Newf("The %s header has no timestamp (want t=<unix>,v1=<hex>)", s.header)
	}
	if candidates == 0 {
		if malformed > 0 {
			return "", 0, InvalidSignature.Newf("The %s header is malformed (want t=<unix>,v1=<hex>)", s.header)
		}
		return "", 0, InvalidSignature.Newf("The %s header holds no v1 signature", s.header)
	}
	macs := sums(scratch[:], keys, "", ts, body)
	matched := false
	for i := 0; i < candidates; i++ {
		var c *[sha256.Size]byte
		if i < len(sigs) {
			c = &sigs[i]
		} else {
			c = &extra[i-len(sigs)]
		}
		if matches(macs, c[:]) {
			matched = true
		}
	}
	if !matched {
		return "", 0, InvalidSignature.Newf("No signature in the %s header matches the request", s.header)
	}
	return derivedID(&macs[0]), ts, nil
}

// derivedID names a message of a scheme without ids: a one-way function of
// its MAC under the first key, so the id never reveals a valid signature.
func derivedID(mac *[sha256.Size]byte) string {
	d := sha256.Sum256(mac[:])
	var b [4 + 32]byte
	copy(b[:], "sig_")
	hex.Encode(b[4:], d[:16])
	return string(b[:])
}

// validHeaderName reports whether name is an HTTP token (RFC 9110 §5.6.2).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
