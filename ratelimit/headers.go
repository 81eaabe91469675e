package ratelimit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Field names written by [Decision.SetHeaders] and read by [ParseHeader].
const (
	headerLimit      = "X-RateLimit-Limit"
	headerRemaining  = "X-RateLimit-Remaining"
	headerReset      = "X-RateLimit-Reset"
	headerRetryAfter = "Retry-After"
	// headerPolicy and headerRateLimit are the fields of
	// draft-ietf-httpapi-ratelimit-headers.
	headerPolicy    = "RateLimit-Policy"
	headerRateLimit = "RateLimit"
)

// SetHeaders sets the rate-limit fields of the decision on h, as
// [Limiter.Handler] does; each field is set, never added. A decision of
// shadow policies sets nothing.
//
// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset describe
// the most restrictive policy: its limit, the requests remaining, and (UTC
// epoch seconds, rounded up) when its quota is whole again or, for a
// denial, when the request would be admitted; a denial gets Retry-After in
// whole seconds, rounded up and at least 1.
//
// Unless the limiter was made with WithIETFHeaders(false), the
// RateLimit-Policy and RateLimit fields list every enforced policy (see
// the package doc for the draft they follow):
//
//	RateLimit-Policy: "10/1s";q=10;w=1, hourly;q=1000;w=3600
//	RateLimit: "10/1s";r=9;t=1, hourly;r=998;t=8
//
// q is the limit and w the period in whole seconds, r the requests
// remaining and t the seconds until the quota is whole again, or, for a
// policy that denied the request, until it would be admitted.
func (d *Decision) SetHeaders(h http.Header) {
	if d.n == 0 || d.set.hdr == nil {
		return // no policy, or the shadow policies
	}
	hs := d.set.hdr
	// Every varying value goes into one buffer, made into one string;
	// the header values are slices of it, in one []string.
	var arr [256]byte
	buf := arr[:0]
	c := &d.set.p[d.policy]
	tat := d.tat[d.policy]
	// One story for every field: a policy that denied the request resets,
	// for this caller, when the request would be admitted (Retry-After);
	// any other policy when its quota is whole again.
	ra := d.retryAfter()
	buf = strconv.AppendInt(buf, c.remaining(d.now, tat), 10)
	e1 := len(buf)
	if !d.Allowed {
		buf = strconv.AppendInt(buf, ceilDiv(d.now+int64(ra), int64(time.Second)), 10)
	} else {
		buf = strconv.AppendInt(buf, ceilDiv(tat, int64(time.Second)), 10)
	}
	e2 := len(buf)
	if d.lim.ietf {
		for i := range int(d.n) {
			c := &d.set.p[i]
			if i > 0 {
				buf = append(buf, ", "...)
			}
			buf = append(buf, hs.quoted[i]...)
			buf = append(buf, ";r="...)
			buf = strconv.AppendInt(buf, c.remaining(d.now, d.tat[i]), 10)
			buf = append(buf, ";t="...)
			var t int64
			switch {
			case i == int(d.policy) && !d.Allowed:
				t = retryAfterSeconds(ra)
			case d.ok>>i&1 == 0:
				t = retryAfterSeconds(time.Duration(max(d.tat[i]+d.cost*c.interval-c.tolerance-d.now, 0)))
			default:
				t = ceilDiv(d.tat[i]-d.now, int64(time.Second))
			}
			buf = strconv.AppendInt(buf, t, 10)
		}
	}
	e3 := len(buf)
	if !d.Allowed {
		buf = strconv.AppendInt(buf, retryAfterSeconds(ra), 10)
	}
	var str string
	var vals []string
	if len(buf) <= len(headerValues{}.b) {
		// The usual case: the values and their bytes in one allocation.
		hv := new(headerValues)
		n := copy(hv.b[:], buf)
		str, vals = unsafe.String(&hv.b[0], n), hv.vals[:] // hv.b is never written again
	} else {
		str, vals = string(buf), make([]string, 4)
	}
	vals[0], vals[1], vals[2], vals[3] = str[:e1], str[e1:e2], str[e2:e3], str[e3:]
	h[canonLimit] = hs.limit[d.policy]
	h[canonRemaining] = vals[0:1:1]
	h[canonReset] = vals[1:2:2]
	if d.lim.ietf {
		h[canonPolicy] = hs.policy
		if d.lim.pkSecret != nil {
			h[canonPolicy] = []string{hs.withPartitionKey(d.lim.pkSecret, d.key)}
		}
		h[canonRateLimit] = vals[2:3:3]
	}
	if !d.Allowed {
		h[canonRetryAfter] = vals[3:4:4]
	}
}

// headerValues is the one allocation of SetHeaders: the four varying
// values and their bytes, 128 bytes in all.
type headerValues struct {
	vals [4]string
	b    [64]byte
}

// Canonical forms of the field names, for direct map assignment.
var (
	canonLimit      = http.CanonicalHeaderKey(headerLimit)
	canonRemaining  = http.CanonicalHeaderKey(headerRemaining)
	canonReset      = http.CanonicalHeaderKey(headerReset)
	canonRetryAfter = http.CanonicalHeaderKey(headerRetryAfter)
	canonPolicy     = http.CanonicalHeaderKey(headerPolicy)
	canonRateLimit  = http.CanonicalHeaderKey(headerRateLimit)
)

// headerConsts are the field values of one set of policies that no
// decision changes, formatted once. Their slices are shared by every
// response: each has cap == len, so that appending to one copies it.
type headerConsts struct {
	limit   [][]string // X-RateLimit-Limit of each policy
	policy  []string   // RateLimit-Policy
	members []string   // its members
	quoted  []string   // each policy's name as a structured-field string
}

// withPartitionKey returns the RateLimit-Policy value with the pk
// parameter of key (see [WithPartitionKey]).
func (hc *headerConsts) withPartitionKey(secret []byte, key string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	var sum [sha256.Size]byte
	pk := base64.StdEncoding.AppendEncode(nil, m.Sum(sum[:0])[:12])
	var b []byte
	for i, member := range hc.members {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, member...)
		b = append(b, ";pk=:"...)
		b = append(b, pk...)
		b = append(b, ':')
	}
	return string(b)
}

func newHeaderConsts(p []compiled) headerConsts {
	var hc headerConsts
	var pol []byte
	for i, c := range p {
		q := sfName(c.name)
		hc.quoted = append(hc.quoted, q)
		hc.limit = append(hc.limit, []string{strconv.FormatInt(c.limit, 10)})
		if i > 0 {
			pol = append(pol, ", "...)
		}
		start := len(pol)
		pol = append(pol, q...)
		pol = append(pol, ";q="...)
		pol = strconv.AppendInt(pol, c.ietfQ, 10)
		if c.unit != "" {
			pol = append(pol, ";qu="...)
			pol = strconv.AppendQuote(pol, c.unit)
		}
		pol = append(pol, ";w="...)
		pol = strconv.AppendInt(pol, c.ietfW, 10)
		hc.members = append(hc.members, string(pol[start:]))
	}
	hc.policy = []string{string(pol)}
	return hc
}

// sfName writes a policy name as a structured-field token when it is one
// (default), else as a string ("10/1s"). Names are printable ASCII without
// '"' or '\\' (see checkName).
func sfName(name string) string {
	if isToken(name) {
		return name
	}
	return strconv.Quote(name)
}

// isToken reports whether s is a structured-field token (RFC 8941 3.3.4).
func isToken(s string) bool {
	if s == "" || !(s[0] == '*' || 'a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~:/", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// ceilDiv returns a/b rounded up, for b > 0.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b > 0 {
		q++
	}
	return q
}

// retryAfterSeconds is the Retry-After value of d: whole seconds, rounded
// up, at least 1. A client that waits that long finds the request admitted
// (absent other traffic on its key).
func retryAfterSeconds(d time.Duration) int64 {
	return max(1, ceilDiv(int64(d), int64(time.Second)))
}
