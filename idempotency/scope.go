package idempotency

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/http"
	"unsafe"
)

// DefaultScope attributes a request to its caller by what authenticates it:
// a SHA-256 digest of the Authorization, Cookie and X-Api-Key headers and
// the TLS client certificate.
//
// This default never lets one caller receive another caller's response:
// two requests share a scope only if they present the very same
// credentials. A request with none of them cannot be attributed safely (its
// address may be a proxy's or a NAT's, shared by every caller behind it),
// so DefaultScope returns "" for it, and the middleware answers such a
// request, when it carries a key, with 400 [AnonymousCaller] instead of
// running it. A request without a key still runs where a key is
// optional.
//
// The price of the default is that a caller whose credentials change
// between attempts (a refreshed bearer token, a new cookie) is seen as a
// new caller and its retry runs again. Services that know their tenant
// should use [WithScope] with the authenticated account or tenant ID
// instead, which is both safe and stable; so should services with
// anonymous endpoints, with whatever identifies a caller there.
func DefaultScope(r *http.Request) string {
	d := newDigester()
	s, ok := d.appendDefaultScope(nil, r)
	if !ok {
		return ""
	}
	return string(s)
}

// anonymousCaller is the error for a request the scope cannot attribute
// to a caller.
func anonymousCaller() error {
	return AnonymousCaller.New("Requests with an idempotency key must be authenticated " +
		"(Authorization, Cookie, X-Api-Key or a TLS client certificate); authenticate and retry")
}

// ownerEncoding writes owner tokens: 26 characters, as rand.Text does.
var ownerEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// hexDigestLen is the length of a hex SHA-256 digest.
const hexDigestLen = 2 * sha256.Size

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

// sum32 puts the digest of everything written since reset in d.sum.
func (d *digester) sum32() {
	d.flush()
	d.h.Sum(d.sum[:0])
}

// appendDefaultScope appends DefaultScope(r) to dst and reports true, or
// reports false if r carries no credentials. It resets d.
func (d *digester) appendDefaultScope(dst []byte, r *http.Request) ([]byte, bool) {
	if !d.defaultScope(r) {
		return dst, false
	}
	dst = append(dst, "cred:"...)
	return hex.AppendEncode(dst, d.sum[:]), true
}

// defaultScope puts the digest of r's credentials in d.sum and reports
// true, or reports false if r carries none. It resets d.
func (d *digester) defaultScope(r *http.Request) bool {
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
	if found {
		d.sum32()
	}
	return found
}

// derive computes, for a request with the client's key and body:
//
//   - the caller's scope: the first half of the SHA-256 of the scope
//     string, so stores can bound what one caller holds;
//   - the record id: the SHA-256 of scope, route and the client's key, so
//     callers and routes never share records;
//   - the fingerprint of the request the key is used with: the SHA-256 of
//     method, path, query and body;
//   - a fresh owner token: 128 bits from crypto/rand, or, for the memory
//     store (without strs), the sequence number seq.
//
// With strs, it also makes the strings a [Store] sees, in one allocation:
// the key (scope and id in hex, joined by "/"), the hex fingerprint and the
// owner in base32.
//
// scope is the caller's scope, or nil for [DefaultScope] (computed here
// without allocating; a request without credentials gets its
// [AnonymousCaller] problem). route is nil for the default: the request's
// ServeMux pattern or, without one, method and path.
func (st *requestState) derive(r *http.Request, scope func(*http.Request) string,
	route func(*http.Request) string, key string, body []byte, strs bool, seq uint64) error {
	d := &st.digest

	// The scope's digest: for the default scope, the digest of the
	// credentials itself (one hash fewer); else the digest of the string.
	if scope == nil {
		if !d.defaultScope(r) {
			return anonymousCaller()
		}
	} else {
		s := scope(r)
		if s == "" {
			return anonymousCaller()
		}
		d.reset()
		d.writeField(s)
		d.sum32()
	}
	copy(st.sid[:], d.sum[:])

	d.reset()
	d.buf = append(d.buf, d.sum[:]...)
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
	d.sum32()
	st.id = d.sum

	d.reset()
	d.writeField(r.Method)
	d.writeField(r.URL.EscapedPath())
	d.writeField(r.URL.RawQuery)
	d.writeBytes(body)
	d.sum32()
	st.fp = d.sum

	if !strs {
		// The memory store's owners never leave the process: a sequence
		// number tells them apart (and is never zero, which marks a
		// completed record).
		binary.LittleEndian.PutUint64(st.owner[:], seq)
		return nil
	}
	_, _ = rand.Read(st.owner[:]) // never fails; it crashes the program instead
	const keyLen = 2*len(scopeID{}) + 1 + hexDigestLen
	out := make([]byte, 0, keyLen+hexDigestLen+26)
	out = hex.AppendEncode(out, st.sid[:])
	out = append(out, '/')
	out = hex.AppendEncode(out, st.id[:])
	out = hex.AppendEncode(out, st.fp[:])
	out = ownerEncoding.AppendEncode(out, st.owner[:])
	s := unsafe.String(&out[0], len(out)) // out is never written again
	st.key, st.fpStr, st.ownerStr = s[:keyLen], s[keyLen:keyLen+hexDigestLen], s[keyLen+hexDigestLen:]
	return nil
}
