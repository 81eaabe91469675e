package ratelimit

import "context"

// AllowUpTo grants a batch of up to n requests (items, units) as far as
// the quota allows now: it returns the decision and how many were granted,
// 0 to n, all counted at once. A batch endpoint processes the granted part
// and tells the caller the rest must wait ([Decision.RetryAfter] of a
// decision granting nothing). It reads the state, then takes what it
// found (two store calls), trying again with less when other requests took
// quota in between.
func (l *Limiter) AllowUpTo(ctx context.Context, key string, n int64) (Decision, int64, error) {
	if n < 1 {
		d, err := l.AllowN(ctx, key, 0)
		return d, 0, err
	}
	n = min(n, l.tierOf(nil, key).minBurst)
	for range 3 {
		look, err := l.AllowN(ctx, key, 0)
		if err != nil {
			return look, 0, err
		}
		k := min(n, look.Policy().Remaining)
		if look.n == 0 {
			k = n // only shadow policies
		}
		if k < 1 {
			break
		}
		d, err := l.AllowN(ctx, key, k)
		if err != nil {
			return d, 0, err
		}
		if d.Allowed {
			return d, k, nil
		}
	}
	d, err := l.AllowN(ctx, key, 1)
	if err != nil || !d.Allowed {
		return d, 0, err
	}
	return d, 1, nil
}
