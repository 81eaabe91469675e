package ratelimit

import (
	"context"
	"net/http"
)

// AllowUpTo grants a batch of up to n requests (items, units) as far as
// the quota allows now: it returns the decision and how many were granted,
// 0 to n, all counted at once. A batch endpoint processes the granted part
// and tells the caller the rest must wait ([Decision.RetryAfter] of a
// decision granting nothing). It reads the state, then takes what it
// found (two store calls), trying again with less when other requests took
// quota in between. [WithPartialGrants] does the same in [Limiter.Handler].
func (l *Limiter) AllowUpTo(ctx context.Context, key string, n int64) (Decision, int64, error) {
	var d Decision
	k, err := l.upTo(ctx, nil, key, n, &d)
	return d, k, err
}

func (l *Limiter) upTo(ctx context.Context, r *http.Request, key string, n int64, d *Decision) (int64, error) {
	if n < 1 {
		return 0, l.allow(ctx, r, key, 0, d)
	}
	n = min(n, l.tierOf(r, key).minBurst)
	for range 3 {
		var look Decision
		if err := l.allow(ctx, r, key, 0, &look); err != nil {
			*d = look
			return 0, err
		}
		k := n // only shadow policies: nothing limits
		if look.n > 0 {
			k = min(n, look.Policy().Remaining)
		}
		if k < 1 {
			break
		}
		*d = Decision{}
		if err := l.allow(ctx, r, key, k, d); err != nil {
			return 0, err
		}
		if d.Allowed {
			return k, nil
		}
	}
	*d = Decision{}
	if err := l.allow(ctx, r, key, 1, d); err != nil || !d.Allowed {
		return 0, err
	}
	return 1, nil
}

// WithPartialGrants makes [Limiter.Handler] admit part of a request whose
// cost ([WithCost], the items of a batch, say) exceeds what the quota
// allows now: the handler runs with as many units as could be granted,
// which it reads with [Granted], and processes that many; only a request
// granted nothing is answered 429. It applies to [New]. Default: a request
// is admitted whole or not at all.
func WithPartialGrants() Option {
	return option{"WithPartialGrants", forLimiter, func(s *settings) { s.partial = true }}
}

type grantedKey struct{}

// Granted returns how many units of its cost the request was granted by a
// limiter with [WithPartialGrants], and whether it was decided by one.
func Granted(ctx context.Context) (int64, bool) {
	n, ok := ctx.Value(grantedKey{}).(int64)
	return n, ok
}
