package idempotency

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
)

// DefaultScope attributes a request to its caller by what authenticates it:
// a SHA-256 digest of the Authorization, Cookie and X-Api-Key headers and
// the TLS client certificate.
//
// This default never lets one caller receive another caller's response:
// two requests share a scope only if they present the very same
// credentials. A request with none of them cannot be attributed safely (its
// address may be a proxy's or a NAT's, shared by every caller behind it),
// so DefaultScope returns an [AnonymousCaller] problem for it, and the
// middleware answers such a request, when it carries a key, with 400
// instead of running it. A request without a key still runs where a key is
// optional.
//
// The price of the default is that a caller whose credentials change
// between attempts (a refreshed bearer token, a new cookie) is seen as a
// new caller and its retry runs again. Services that know their tenant
// should use [WithScope] with the authenticated account or tenant ID
// instead, which is both safe and stable; so should services with
// anonymous endpoints, with whatever identifies a caller there.
func DefaultScope(r *http.Request) (string, error) {
	d := newDigester()
	s, ok := d.appendDefaultScope(nil, r)
	if !ok {
		return "", anonymousCaller()
	}
	return string(s), nil
}

// anonymousCaller is the error for a request the default scope cannot
// attribute to a caller.
func anonymousCaller() error {
	return AnonymousCaller.New("Requests with an idempotency key must be authenticated " +
		"(Authorization, Cookie, X-Api-Key or a TLS client certificate); authenticate and retry")
}

// Lengths of the strings derived for a request: the store key and the
// fingerprint are hex SHA-256 digests, the owner token is 26 base32
// characters (130 bits) from crypto/rand, the same form as rand.Text.
const (
	hexDigestLen = 2 * sha256.Size
	ownerLen     = 26
	derivedLen   = 2*hexDigestLen + ownerLen
)

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// digester computes the package's SHA-256 digests of length-prefixed
// fields. Small fields are gathered in buf and hashed in one call; the
// byte stream hashed is the same as writing each field on its own.
type digester struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newDigester() *digester {
	return &digester{h: sha256.New(), buf: make([]byte, 0, 512)}
}

// bigField is the size from which a field is hashed directly rather than
// copied into buf first.
const bigField = 512

func (d *digester) reset() {
	d.h.Reset()
	d.buf = d.buf[:0]
}

func (d *digester) writeLen(n int) {
	d.buf = binary.AppendUvarint(d.buf, uint64(n))
}

func (d *digester) writeField(s string) {
	d.writeLen(len(s))
	d.buf = append(d.buf, s...)
}

func (d *digester) writeBytes(b []byte) {
	d.writeLen(len(b))
	if len(b) >= bigField {
		d.flush()
		d.h.Write(b)
		return
	}
	d.buf = append(d.buf, b...)
}

func (d *digester) flush() {
	if len(d.buf) > 0 {
		d.h.Write(d.buf)
		d.buf = d.buf[:0]
	}
}

// appendHexSum appends the hex digest of everything written since reset.
func (d *digester) appendHexSum(dst []byte) []byte {
	d.flush()
	return hex.AppendEncode(dst, d.h.Sum(d.sum[:0]))
}

// appendDefaultScope appends DefaultScope(r) to dst and reports true, or
// reports false if r carries no credentials. It resets d.
func (d *digester) appendDefaultScope(dst []byte, r *http.Request) ([]byte, bool) {
	d.reset()
	found := false
	for _, name := range [...]string{"Authorization", "Cookie", "X-Api-Key"} {
		vs := r.Header[name]
		d.writeField(name)
		d.writeLen(len(vs))
		for _, v := range vs {
			d.writeField(v)
			found = true
		}
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		d.writeField("tls")
		d.writeBytes(r.TLS.PeerCertificates[0].Raw)
		found = true
	}
	if !found {
		return dst, false
	}
	return d.appendHexSum(append(dst, "cred:"...)), true
}

// derived holds the strings the middleware derives for a request. They
// share one allocation, which stores may keep.
type derived struct {
	key, fingerprint, owner string
}

// derive computes, for a request with the client's key and body:
//
//   - the key a Store sees: the hex SHA-256 of scope, route and the
//     client's key, so callers and routes never share records and the
//     store gets a fixed-size, printable key;
//   - the fingerprint of the request the key is used with: the hex SHA-256
//     of method, path, query and body;
//   - a fresh owner token from crypto/rand.
//
// scope is the caller's scope, or nil for [DefaultScope] (computed here
// without allocating; a request without credentials gets its
// [AnonymousCaller] problem). route is nil for the default: the request's ServeMux
// pattern or, without one, method and path.
func (st *requestState) derive(r *http.Request, scope func(*http.Request) (string, error),
	route func(*http.Request) string, key string, body []byte) (derived, error) {
	d := &st.digest
	out := st.derived[:0]

	// Scope first: the default scope uses the digester itself.
	var scopeBytes []byte
	var scopeStr string
	if scope == nil {
		var ok bool
		st.scope, ok = d.appendDefaultScope(st.scope[:0], r)
		if !ok {
			return derived{}, anonymousCaller()
		}
		scopeBytes = st.scope
	} else {
		s, err := scope(r)
		if err != nil {
			return derived{}, err
		}
		scopeStr = s
	}

	d.reset()
	if scope == nil {
		d.writeBytes(scopeBytes)
	} else {
		d.writeField(scopeStr)
	}
	switch {
	case route != nil:
		d.writeField(route(r))
	case r.Pattern != "":
		d.writeField(r.Pattern)
	default:
		// The field method + " " + path, without building the string.
		path := r.URL.EscapedPath()
		d.writeLen(len(r.Method) + 1 + len(path))
		d.buf = append(d.buf, r.Method...)
		d.buf = append(d.buf, ' ')
		d.buf = append(d.buf, path...)
	}
	d.writeField(key)
	out = d.appendHexSum(out)

	d.reset()
	d.writeField(r.Method)
	d.writeField(r.URL.EscapedPath())
	d.writeField(r.URL.RawQuery)
	d.writeBytes(body)
	out = d.appendHexSum(out)

	n := len(out)
	out = append(out, make([]byte, ownerLen)...)
	_, _ = rand.Read(out[n:]) // never fails; it crashes the program instead
	for i := n; i < len(out); i++ {
		out[i] = base32Alphabet[out[i]%32]
	}
	st.derived = out[:0]

	s := string(out)
	return derived{key: s[:hexDigestLen], fingerprint: s[hexDigestLen : 2*hexDigestLen], owner: s[2*hexDigestLen:]}, nil
}
