package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// Quota is what a response says about the caller's rate limit, read by
// [ParseResponse] or [ParseHeader] from either family of fields.
type Quota struct {
	// Policy is the name of the policy described (IETF fields only).
	Policy string
	// Limit is the number of requests per Window; 0 when not given.
	Limit int64
	// Window is the policy's period (IETF RateLimit-Policy w); 0 when not
	// given.
	Window time.Duration
	// Remaining is the number of requests left now.
	Remaining int64
	// Reset is when the quota is whole again; zero when not given.
	Reset time.Time
	// RetryAfter is how long to wait before retrying (Retry-After);
	// 0 when not given.
	RetryAfter time.Duration
}

// Wait returns how long a caller pacing itself should wait before its
// next request at instant now: RetryAfter when given, else the time to
// Reset when nothing remains, else 0.
func (q Quota) Wait(now time.Time) time.Duration {
	if q.RetryAfter > 0 {
		return q.RetryAfter
	}
	if q.Remaining <= 0 && !q.Reset.IsZero() {
		return max(q.Reset.Sub(now), 0)
	}
	return 0
}

// ParseResponse reads the rate-limit fields of resp, taking the time of
// receipt as now. See [ParseHeader].
func ParseResponse(resp *http.Response) (Quota, bool) {
	if resp == nil {
		return Quota{}, false
	}
	return ParseHeader(resp.Header, time.Now())
}

// ParseHeader reads rate-limit fields received at instant now. It prefers
// the IETF RateLimit field (the member with the fewest remaining requests,
// completed from RateLimit-Policy) and falls back to X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset (epoch seconds, corrected
// for the server's clock when a Date field is present), then to the
// RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (seconds) fields
// of the earlier IETF drafts, which envoy's rate-limit service sends. Retry-After is read
// in either form (seconds or HTTP date). Malformed values are ignored; ok
// reports whether any rate-limit field was understood. It allocates
// nothing unless a policy name is a quoted string with escapes.
func ParseHeader(h http.Header, now time.Time) (q Quota, ok bool) {
	if rl := h[canonRateLimit]; len(rl) > 0 {
		ok = q.fromIETF(rl, h[canonPolicy], now)
	}
	if !ok {
		ok = q.fromLegacy(h, now)
	}
	if !ok {
		ok = q.fromSplit(h, now)
	}
	if v := first(h[canonRetryAfter]); v != "" {
		if d := problem.ParseRetryAfter(v, now); d > 0 {
			q.RetryAfter = d
			ok = true
		}
	}
	return q, ok
}

var (
	canonSplitLimit     = http.CanonicalHeaderKey("RateLimit-Limit")
	canonSplitRemaining = http.CanonicalHeaderKey("RateLimit-Remaining")
	canonSplitReset     = http.CanonicalHeaderKey("RateLimit-Reset")
	canonDate           = http.CanonicalHeaderKey("Date")
)

// first returns the first value of a field, or "".
func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// fromIETF reads the member of the RateLimit field lines rl with the
// fewest remaining requests, and its policy from the RateLimit-Policy
// lines pol. Field lines are read as one list joined by commas.
func (q *Quota) fromIETF(rl, pol []string, now time.Time) bool {
	var best sfMember
	found := false
	for _, line := range rl {
		for rest := line; rest != ""; {
			var raw string
			raw, rest = cutQuoted(rest, ',')
			m, ok := parseSFMember(raw)
			if !ok || !m.has('r') {
				continue
			}
			if !found || m.r < best.r {
				best, found = m, true
			}
		}
	}
	if !found {
		return false
	}
	q.Policy = best.name()
	q.Remaining = best.r
	if best.has('t') {
		q.Reset = now.Add(seconds(best.t))
	}
	for _, line := range pol {
		for rest := line; rest != ""; {
			var raw string
			raw, rest = cutQuoted(rest, ',')
			p, ok := parseSFMember(raw)
			if !ok || !p.sameName(best) {
				continue
			}
			q.Limit = p.q
			if p.has('l') && q.Limit == 0 {
				q.Limit = p.l // drafts 07 and 08 named the quota l
			}
			if p.has('w') {
				q.Window = seconds(p.w)
			}
			return true
		}
	}
	return true
}

// fromSplit reads the RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset fields of the earlier drafts (up to
// draft-ietf-httpapi-ratelimit-headers-06), which envoy's rate-limit
// service and others still send: the limit (its first list member, as in
// "100, 100;w=60"), the remaining requests, and the seconds until reset.
func (q *Quota) fromSplit(h http.Header, now time.Time) bool {
	ok := false
	firstMember := func(v string) string {
		v, _, _ = strings.Cut(v, ",")
		v, _, _ = strings.Cut(v, ";")
		return v
	}
	limit := first(h[canonSplitLimit])
	if n, good := parseCount(firstMember(limit)); good {
		q.Limit, ok = n, true
		if _, w, has := strings.Cut(limit, ";w="); has {
			if n, good := parseCount(firstMember(w)); good {
				q.Window = seconds(n)
			}
		}
	}
	if n, good := parseCount(firstMember(first(h[canonSplitRemaining]))); good {
		q.Remaining, ok = n, true
	}
	if n, good := parseCount(firstMember(first(h[canonSplitReset]))); good {
		q.Reset, ok = now.Add(seconds(n)), true
	}
	return ok
}

func (q *Quota) fromLegacy(h http.Header, now time.Time) bool {
	ok := false
	if n, good := parseCount(first(h[canonLimit])); good {
		q.Limit, ok = n, true
	}
	if n, good := parseCount(first(h[canonRemaining])); good {
		q.Remaining, ok = n, true
	}
	if n, good := parseCount(first(h[canonReset])); good && n < math.MaxInt64/int64(time.Second) {
		reset := time.Unix(n, 0)
		if date, err := http.ParseTime(first(h[canonDate])); err == nil {
			reset = now.Add(reset.Sub(date)) // the server's clock may differ from ours
		}
		q.Reset, ok = reset, true
	}
	return ok
}

// seconds converts a non-negative count of seconds, saturating.
func seconds(n int64) time.Duration {
	if n > int64(math.MaxInt64/time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(n) * time.Second
}

func parseCount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// sfMember is one member of a structured-field list (RFC 8941): a string
// or token and the non-negative integer parameters ParseHeader uses.
type sfMember struct {
	raw           string // the name as written: a token or a quoted string
	r, t, q, l, w int64
	set           uint8 // bit per parameter present, see has
}

const sfParams = "rtqlw"

func (m *sfMember) has(p byte) bool { return m.set&(1<<strings.IndexByte(sfParams, p)) != 0 }

// name returns the member's name, unquoted.
func (m *sfMember) name() string {
	if m.raw[0] != '"' {
		return m.raw
	}
	s := m.raw[1 : len(m.raw)-1]
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sameName reports whether m and o have the same name, however quoted.
func (m *sfMember) sameName(o sfMember) bool {
	if m.raw == o.raw {
		return true
	}
	if !strings.Contains(m.raw, "\\") && !strings.Contains(o.raw, "\\") {
		return strings.Trim(m.raw, `"`) == strings.Trim(o.raw, `"`)
	}
	return m.name() == o.name()
}

// parseSFMember reads one list member leniently: a member that is not a
// string or token is refused, parameters whose value is not a
// non-negative integer are skipped.
func parseSFMember(raw string) (sfMember, bool) {
	var m sfMember
	name, rest := cutQuoted(strings.TrimSpace(raw), ';')
	name = strings.TrimSpace(name)
	if !sfValidName(name) {
		return m, false
	}
	m.raw = name
	for rest != "" {
		var p string
		p, rest = cutQuoted(rest, ';')
		k, v, has := strings.Cut(strings.TrimSpace(p), "=")
		if !has {
			continue
		}
		n, good := parseCount(v)
		k = strings.TrimSpace(k)
		if !good || len(k) != 1 {
			continue
		}
		switch k[0] {
		case 'r':
			m.r = n
		case 't':
			m.t = n
		case 'q':
			m.q = n
		case 'l':
			m.l = n
		case 'w':
			m.w = n
		default:
			continue
		}
		m.set |= 1 << strings.IndexByte(sfParams, k[0])
	}
	return m, true
}

// sfValidName reports whether s is an sf-string ("a \"b\"") or a token
// as ParseHeader accepts them.
func sfValidName(s string) bool {
	if s == "" {
		return false
	}
	if s[0] != '"' {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '=' {
				return false
			}
		}
		return true
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
		case c == '"':
			return i == len(s)-1
		case c < ' ' || c >= 0x7f:
			return false
		}
	}
	return false
}

// cutQuoted cuts s at the first sep outside double quotes.
func cutQuoted(s string, sep byte) (before, after string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}
