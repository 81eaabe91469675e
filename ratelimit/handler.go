package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// violatedPolicies is the problem extension member that names the
// policies that denied a request: the member the IANA "quota-exceeded"
// problem type of draft-ietf-httpapi-ratelimit-headers defines, spelled as
// registered.
const violatedPolicies = "violated-policies"

// Handler returns next limited by l, each request keyed by caller (see
// [WithKey]).
//
// Every decided response carries X-RateLimit-Limit, X-RateLimit-Remaining
// and X-RateLimit-Reset and, unless turned off ([WithIETFHeaders]), the
// IETF RateLimit-Policy and RateLimit fields, set before the handler
// runs. A denied request gets Retry-After and a
// [problem.RateLimitExceeded] problem (429) whose RetryAfter is set and
// whose "violated-policies" extension member lists the names of the
// denying policies; the handler does not run. The problem is written by
// the error writer: [WithErrorWriter], else the one in the request's
// context, else plain RFC 9457 (see [problem.WriteTo]). When the store
// fails, the fallback decides ([WithFallback]), or the request is answered
// with a 503 (the default) or admitted ([WithFailOpen]).
func (l *Limiter) Handler(next http.Handler) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return &handler{l: l, next: next}
}

type handler struct {
	l    *Limiter
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l := h.l
	if l.skip != nil && l.skip(r) {
		h.next.ServeHTTP(w, r)
		return
	}
	key := ""
	if l.key != nil {
		key = l.key(r)
	}
	if key == "" {
		key = l.ipKey(r)
	}
	cost := int64(1)
	if l.cost != nil {
		if cost = l.cost(r); cost < 0 {
			cost = 1
		}
	}
	var d Decision
	var err error
	if l.partial {
		var granted int64
		granted, err = l.upTo(r.Context(), r, key, cost, &d)
		if err == nil && granted > 0 {
			r = r.WithContext(context.WithValue(r.Context(), grantedKey{}, granted))
		}
	} else {
		err = l.allow(r.Context(), r, key, cost, &d)
	}
	if err != nil {
		l.fail(w, r, h.next, err)
		return
	}
	d.SetHeaders(w.Header())
	if d.Allowed {
		if l.concLimit > 0 {
			ckey := l.concurrencyKey(key)
			token, held, ok := l.acquire(w, r, key, ckey)
			if !ok {
				return
			}
			if held {
				rn := l.renew(r, key, ckey, token)
				defer l.release(r, key, ckey, token, rn) // also when the handler panics
			}
		}
		h.next.ServeHTTP(w, r)
		return
	}
	l.emit(Event{Kind: EventDenied, Request: r, Key: key, Decision: d})
	secs := retryAfterSeconds(d.RetryAfter())
	var violated []string
	for i := range int(d.n) {
		if s := d.policyAt(i); !s.Allowed {
			violated = append(violated, s.Name)
		}
	}
	p := problem.RateLimitExceeded.New("Too many requests; retry after "+formatSeconds(secs)+".").
		WithRetryAfter(time.Duration(secs)*time.Second).
		WithExtension(violatedPolicies, violated).
		WithInstance(r.URL.Path)
	problem.WriteTo(l.errw, w, r, p)
}

// ipKey is the default key: the client address, IPv6 ones cut to the
// configured prefix.
func (l *Limiter) ipKey(r *http.Request) string {
	ip := ClientIP(r, l.trusted)
	if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && l.v6bits < 128 {
		if p, err := a.Prefix(l.v6bits); err == nil {
			return "ip:" + p.String()
		}
	}
	return "ip:" + ip
}

// fail answers a request the limiter could not decide.
func (l *Limiter) fail(w http.ResponseWriter, r *http.Request, next http.Handler, err error) {
	if errors.Is(err, ErrCostExceedsBurst) {
		p := problem.RateLimitExceeded.New("The request costs more than the rate limit allows at once.").
			WithInstance(r.URL.Path)
		p.Retryable = false
		problem.WriteTo(l.errw, w, r, p)
		return
	}
	if r.Context().Err() != nil {
		// The client went away: not a server error, nothing to answer.
		return
	}
	if l.failOpen && next != nil {
		next.ServeHTTP(w, r)
		return
	}
	retry := time.Second
	var sp *problem.Problem
	if errors.As(err, &sp) && sp.RetryAfter > 0 {
		retry = sp.RetryAfter
	}
	secs := retryAfterSeconds(retry)
	w.Header().Set(headerRetryAfter, strconv.FormatInt(secs, 10))
	p := problem.ServiceUnavailable.Wrap(err, "Rate limiting is unavailable; retry later.").
		WithRetryAfter(time.Duration(secs) * time.Second)
	problem.WriteTo(l.errw, w, r, p)
}

func formatSeconds(s int64) string {
	if s == 1 {
		return "1 second"
	}
	return strconv.FormatInt(s, 10) + " seconds"
}
