package signature

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"net/http"
	"strconv"
	"sync"
)

// Scheme is a wire format for signatures: which headers carry them, what
// content is signed and how secrets are written. The two schemes are
// [StandardWebhooks] and [Stripe]; the interface is sealed.
type Scheme interface {
	// String names the scheme, for logs and errors.
	String() string

	// decodeKey turns a secret (or public key) as it is written into a
	// key.
	decodeKey(secret string) (*key, error)
	// sign sets the signature headers on h for a message signed with each
	// key, in order.
	sign(h http.Header, id string, ts int64, body []byte, keys []*key)
	// verify checks the headers of h against body and returns the message
	// id and timestamp when one signature matches under one key. Errors
	// are *problem.Problem values of this package's definitions. It does
	// not check the timestamp against a clock.
	verify(h http.Header, body []byte, keys []*key) (id string, ts int64, err error)
	// usesID reports whether the scheme carries a message id header.
	usesID() bool
	// check reports a scheme that was configured wrongly.
	check() error
	// challenge is the WWW-Authenticate challenge of a 401.
	challenge() string
}

// key is one HMAC-SHA256 key with a pool of ready MACs, so verifying does
// not allocate a new hash each time, or one Ed25519 key: a private key
// signs and verifies, a public key only verifies.
type key struct {
	pool sync.Pool          // HMAC only
	priv ed25519.PrivateKey // Ed25519 signing key, or nil
	pub  ed25519.PublicKey  // Ed25519 key, or nil for HMAC
}

func (k *key) isHMAC() bool { return k.pub == nil }

type macState struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newKey(secret []byte) *key {
	secret = append([]byte(nil), secret...)
	k := &key{}
	k.pool.New = func() any {
		return &macState{mac: hmac.New(sha256.New, secret), buf: make([]byte, 0, 64)}
	}
	return k
}

// sum writes into out the HMAC-SHA256 of "id.ts.body", or of "ts.body"
// when id is empty.
func (k *key) sum(out *[sha256.Size]byte, id string, ts int64, body []byte) {
	st := k.pool.Get().(*macState)
	st.mac.Reset()
	b := st.buf[:0]
	if id != "" {
		b = append(b, id...)
		b = append(b, '.')
	}
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, '.')
	st.mac.Write(b)
	st.mac.Write(body)
	st.mac.Sum(st.sum[:0])
	*out = st.sum
	if cap(b) <= 1024 {
		st.buf = b[:0]
	}
	k.pool.Put(st)
}

// sums computes the MAC of the message under every HMAC key, skipping the
// others. It uses scratch when it is long enough.
func sums(scratch [][sha256.Size]byte, keys []*key, id string, ts int64, body []byte) [][sha256.Size]byte {
	out := scratch[:0]
	for _, k := range keys {
		if !k.isHMAC() {
			continue
		}
		out = append(out, [sha256.Size]byte{})
		k.sum(&out[len(out)-1], id, ts, body)
	}
	return out
}

// signedContent is what Ed25519 signs: "id.ts.body".
func signedContent(id string, ts int64, body []byte) []byte {
	b := make([]byte, 0, len(id)+22+len(body))
	b = append(b, id...)
	b = append(b, '.')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, '.')
	return append(b, body...)
}

// matches reports, in constant time for each comparison, whether sig is
// one of macs.
func matches(macs [][sha256.Size]byte, sig []byte) bool {
	ok := false
	for i := range macs {
		if hmac.Equal(macs[i][:], sig) {
			ok = true
		}
	}
	return ok
}

// parseUnix reads a Unix timestamp in seconds: 1 to 18 ASCII digits.
func parseUnix(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// headerValue returns the first value of a header by its canonical key,
// without the allocation http.Header.Get may make to canonicalise.
func headerValue(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}
