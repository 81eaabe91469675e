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
// reports whether any rate-limit field was understood.
func ParseHeader(h http.Header, now time.Time) (q Quota, ok bool) {
	if v := strings.Join(h.Values(headerRateLimit), ","); v != "" {
		ok = q.fromIETF(v, strings.Join(h.Values(headerPolicy), ","), now)
	}
	if !ok {
		ok = q.fromLegacy(h, now)
	}
	if !ok {
		ok = q.fromSplit(h, now)
	}
	if v := h.Get(headerRetryAfter); v != "" {
		if d := problem.ParseRetryAfter(v, now); d > 0 {
			q.RetryAfter = d
			ok = true
		}
	}
	return q, ok
}

func (q *Quota) fromIETF(rl, pol string, now time.Time) bool {
	best := -1
	var members []sfMember
	for _, m := range parseSFList(rl) {
		if _, has := m.params["r"]; has {
			members = append(members, m)
		}
	}
	for i, m := range members {
		if best < 0 || m.params["r"] < members[best].params["r"] {
			best = i
		}
	}
	if best < 0 {
		return false
	}
	m := members[best]
	q.Policy = m.name
	q.Remaining = m.params["r"]
	if t, has := m.params["t"]; has {
		q.Reset = now.Add(seconds(t))
	}
	for _, p := range parseSFList(pol) {
		if p.name != m.name {
			continue
		}
		q.Limit = p.params["q"]
		if l, has := p.params["l"]; has && q.Limit == 0 {
			q.Limit = l // drafts 07 and 08 named the quota l
		}
		if w, has := p.params["w"]; has {
			q.Window = seconds(w)
		}
		break
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
	first := func(v string) string {
		v, _, _ = strings.Cut(v, ",")
		v, _, _ = strings.Cut(v, ";")
		return v
	}
	if n, good := parseCount(first(h.Get("RateLimit-Limit"))); good {
		q.Limit, ok = n, true
		if _, w, has := strings.Cut(h.Get("RateLimit-Limit"), ";w="); has {
			if n, good := parseCount(first(w)); good {
				q.Window = seconds(n)
			}
		}
	}
	if n, good := parseCount(first(h.Get("RateLimit-Remaining"))); good {
		q.Remaining, ok = n, true
	}
	if n, good := parseCount(first(h.Get("RateLimit-Reset"))); good {
		q.Reset, ok = now.Add(seconds(n)), true
	}
	return ok
}

func (q *Quota) fromLegacy(h http.Header, now time.Time) bool {
	ok := false
	if n, good := parseCount(h.Get(headerLimit)); good {
		q.Limit, ok = n, true
	}
	if n, good := parseCount(h.Get(headerRemaining)); good {
		q.Remaining, ok = n, true
	}
	if n, good := parseCount(h.Get(headerReset)); good && n < math.MaxInt64/int64(time.Second) {
		reset := time.Unix(n, 0)
		if date, err := http.ParseTime(h.Get("Date")); err == nil {
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

// sfMember is one member of a structured-field list: a string or token
// and its non-negative integer parameters.
type sfMember struct {
	name   string
	params map[string]int64
}

// parseSFList reads the members of a structured-field list (RFC 8941)
// leniently: members that are not a string or token are skipped, as are
// parameters whose value is not a non-negative integer.
func parseSFList(s string) []sfMember {
	var out []sfMember
	for _, raw := range splitQuoted(s, ',') {
		parts := splitQuoted(strings.TrimSpace(raw), ';')
		name, ok := sfBareString(strings.TrimSpace(parts[0]))
		if !ok {
			continue
		}
		m := sfMember{name: name, params: map[string]int64{}}
		for _, p := range parts[1:] {
			k, v, has := strings.Cut(strings.TrimSpace(p), "=")
			if !has {
				continue
			}
			if n, good := parseCount(v); good {
				m.params[strings.TrimSpace(k)] = n
			}
		}
		out = append(out, m)
	}
	return out
}

// sfBareString reads an sf-string ("a \"b\"") or a token.
func sfBareString(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if s[0] != '"' {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '=' {
				return "", false
			}
		}
		return s, true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			return b.String(), i == len(s)-1
		case c < ' ' || c >= 0x7f:
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return "", false
}
