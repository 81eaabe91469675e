package idempotency

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net"
	"net/http"
)

// DefaultScope attributes a request to its caller by what authenticates it:
// a SHA-256 digest of the Authorization, Cookie and X-Api-Key headers and
// the TLS client certificate. A request with none of these is attributed to
// its remote IP address.
//
// This default errs on the side of never letting one caller receive another
// caller's response: two requests share a scope only if they present the
// very same credentials (or, with no credentials at all, come from the same
// address). The price is that a caller whose credentials change between
// attempts (a refreshed bearer token, a new cookie) is seen as a new caller
// and its retry runs again. Services that know their tenant should use
// [WithScope] with the authenticated account or tenant ID instead, which
// is both safe and stable; anonymous endpoints behind a proxy should too,
// since every caller there shares the proxy's address.
func DefaultScope(r *http.Request) (string, error) {
	h := sha256.New()
	found := false
	for _, name := range [...]string{"Authorization", "Cookie", "X-Api-Key"} {
		vs := r.Header[name]
		writeField(h, name)
		writeLen(h, len(vs))
		for _, v := range vs {
			writeField(h, v)
			found = true
		}
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		writeField(h, "tls")
		writeBytes(h, r.TLS.PeerCertificates[0].Raw)
		found = true
	}
	if !found {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		return "addr:" + host, nil
	}
	return "cred:" + hex.EncodeToString(h.Sum(nil)), nil
}

// defaultRoute is the ServeMux pattern that matched, or method and path.
func defaultRoute(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method + " " + r.URL.EscapedPath()
}

// storeKey derives the key a Store sees: a digest of scope, route and the
// client's key, so callers and routes never share records and the store
// gets a fixed-size, printable key.
func storeKey(scope, route, key string) string {
	h := sha256.New()
	writeField(h, scope)
	writeField(h, route)
	writeField(h, key)
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprint identifies the request a key was first used with: method,
// path, query and the SHA-256 of the body.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	writeField(h, r.Method)
	writeField(h, r.URL.EscapedPath())
	writeField(h, r.URL.RawQuery)
	writeBytes(h, body)
	return hex.EncodeToString(h.Sum(nil))
}

func writeLen(h hash.Hash, n int) {
	var b [binary.MaxVarintLen64]byte
	h.Write(b[:binary.PutUvarint(b[:], uint64(n))])
}

func writeField(h hash.Hash, s string) {
	writeLen(h, len(s))
	h.Write([]byte(s))
}

func writeBytes(h hash.Hash, b []byte) {
	writeLen(h, len(b))
	h.Write(b)
}
