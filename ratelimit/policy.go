package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxTolerance bounds Burst*Interval so that now + 2*Tolerance never
// overflows an int64 of Unix nanoseconds (about 73 years).
const maxTolerance = int64(1) << 61

// Policy is one rate: Limit requests per Period, with bursts of up to Burst
// requests. GCRA spreads the limit evenly: one request every Period/Limit
// (the emission interval), and lets a caller that has been idle send Burst
// requests at once. Burst 0 means Limit, which is the usual "N per period"
// behaviour: an idle caller may send N at once and then one every
// Period/Limit.
type Policy struct {
	// Name identifies the policy in keys and in the IETF RateLimit and
	// RateLimit-Policy fields. Empty means the rate as [Policy.String]
	// writes it ("100/1m"). Names in one [Limiter] must be unique.
	Name string
	// Limit is the number of requests allowed per Period (≥ 1).
	Limit int64
	// Period is the window of the limit (> 0).
	Period time.Duration
	// Burst is the number of requests an idle caller may make at once;
	// 0 means Limit.
	Burst int64
	// Unit is the quota unit the IETF RateLimit-Policy field announces
	// (its qu parameter) when a request is not counted as one, for example
	// "content-bytes" with a [WithCost] of the request's size; empty means
	// requests.
	Unit string
	// Shadow makes the policy watched, not enforced: it is decided for
	// every request the enforced policies admit, and a request it would
	// deny is reported to the observer ([EventShadowDenied]) but never
	// refused, so that a new limit can be watched before it is enforced.
	// Its state is kept as if it were enforced. It appears in no header
	// (clients are told only the limits that apply); on a shared store it
	// costs a second round trip per request.
	Shadow bool
}

// PerSecond returns an unnamed policy of n requests per second (PerMinute
// and PerHour, per minute and per hour).
func PerSecond(n int64) Policy { return Policy{Limit: n, Period: time.Second} }

// PerMinute returns a policy of n requests per minute.
func PerMinute(n int64) Policy { return Policy{Limit: n, Period: time.Minute} }

// PerHour returns a policy of n requests per hour.
func PerHour(n int64) Policy { return Policy{Limit: n, Period: time.Hour} }

// WithName returns a copy of p named name.
func (p Policy) WithName(name string) Policy { p.Name = name; return p }

// WithBurst returns a copy of p with the given burst.
func (p Policy) WithBurst(burst int64) Policy { p.Burst = burst; return p }

// String returns the rate in the form [ParsePolicy] reads: "100/1m",
// followed by ";burst=N" when Burst is set.
func (p Policy) String() string {
	s := strconv.FormatInt(p.Limit, 10) + "/" + formatPeriod(p.Period)
	if p.Burst != 0 {
		s += ";burst=" + strconv.FormatInt(p.Burst, 10)
	}
	return s
}

// ErrInvalidPolicy is wrapped by every error about a malformed or
// out-of-range policy.
var ErrInvalidPolicy = errors.New("ratelimit: invalid policy")

// ParsePolicy reads a rate written as "limit/period" with an optional
// burst: "100/1m", "10/s", "5000/1h", "20/1s;burst=40". The period is a
// [time.ParseDuration] value or a bare unit (s, m, h, or d for 24h); a
// leading number may go with the "d" unit ("7d"). The policy's Name is
// left empty (it defaults to the rate).
func ParsePolicy(s string) (Policy, error) {
	orig := s
	var p Policy
	rate, burst, hasBurst := strings.Cut(strings.TrimSpace(s), ";")
	lim, per, ok := strings.Cut(strings.TrimSpace(rate), "/")
	if !ok {
		return Policy{}, fmt.Errorf("%w: %q: want limit/period such as 100/1m", ErrInvalidPolicy, orig)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(lim), 10, 64)
	if err != nil || n < 1 {
		return Policy{}, fmt.Errorf("%w: %q: limit must be a positive integer", ErrInvalidPolicy, orig)
	}
	p.Limit = n
	d, err := parsePeriod(strings.TrimSpace(per))
	if err != nil {
		return Policy{}, fmt.Errorf("%w: %q: %v", ErrInvalidPolicy, orig, err)
	}
	p.Period = d
	if hasBurst {
		k, v, _ := strings.Cut(strings.TrimSpace(burst), "=")
		b, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if strings.TrimSpace(k) != "burst" || err != nil || b < 1 {
			return Policy{}, fmt.Errorf("%w: %q: want ;burst=N with N ≥ 1", ErrInvalidPolicy, orig)
		}
		p.Burst = b
	}
	if _, _, err := p.params(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

func parsePeriod(s string) (time.Duration, error) {
	switch s {
	case "s", "sec", "second":
		return time.Second, nil
	case "m", "min", "minute":
		return time.Minute, nil
	case "h", "hour":
		return time.Hour, nil
	case "d", "day":
		return 24 * time.Hour, nil
	}
	if num, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n < 1 || n > 100000 {
			return 0, errors.New("period must be a positive duration")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errors.New("period must be a positive duration")
	}
	return d, nil
}

func formatPeriod(d time.Duration) string {
	switch {
	case d <= 0:
		return d.String()
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// burst returns the effective burst.
func (p Policy) burst() int64 {
	if p.Burst == 0 {
		return p.Limit
	}
	return p.Burst
}

// params checks p and returns its GCRA emission interval and tolerance.
func (p Policy) params() (interval, tolerance int64, err error) {
	switch {
	case p.Limit < 1:
		return 0, 0, fmt.Errorf("%w: limit %d must be at least 1", ErrInvalidPolicy, p.Limit)
	case p.Period <= 0:
		return 0, 0, fmt.Errorf("%w: period %v must be positive", ErrInvalidPolicy, p.Period)
	case p.Burst < 0:
		return 0, 0, fmt.Errorf("%w: burst %d must not be negative", ErrInvalidPolicy, p.Burst)
	}
	interval = int64(p.Period) / p.Limit
	if interval < 1 {
		return 0, 0, fmt.Errorf("%w: %d per %v is finer than one request per nanosecond", ErrInvalidPolicy, p.Limit, p.Period)
	}
	b := p.burst()
	if b > maxTolerance/interval {
		return 0, 0, fmt.Errorf("%w: burst %d × interval %v exceeds %v", ErrInvalidPolicy, b, time.Duration(interval), time.Duration(maxTolerance))
	}
	return interval, b * interval, nil
}

// ietfWindow returns the policy as the IETF fields write it: a quota q
// per window of w whole seconds. A period under one second that divides
// one second is scaled (5 per 100ms is 50 per second); another period that
// is not whole seconds cannot be written without misstating the quota.
func (p Policy) ietfWindow() (q, w int64, err error) {
	switch {
	case p.Period%time.Second == 0:
		return p.Limit, int64(p.Period / time.Second), nil
	case p.Period < time.Second && time.Second%p.Period == 0:
		k := int64(time.Second / p.Period)
		if p.Limit <= math.MaxInt64/k {
			return p.Limit * k, 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: %d per %v cannot be written as whole seconds in the IETF RateLimit fields: use a period of whole seconds or one that divides a second, or WithIETFHeaders(false)", ErrInvalidPolicy, p.Limit, p.Period)
}

// name returns the effective name.
func (p Policy) name() string {
	if p.Name != "" {
		return p.Name
	}
	return p.String()
}
