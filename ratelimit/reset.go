package ratelimit

import (
	"context"
	"errors"
	"fmt"
)

// resetter is what a store needs for [Limiter.Reset]: [MemoryStore] and
// ratelimit/rateredis's Store have it.
type resetter interface {
	Reset(ctx context.Context, keys []string) error
}

// Reset forgets the state of key under every policy of the limiter (of
// every tier), so
// that its next request finds a whole quota: for support staff, or after
// a plan change. The store must have a method Reset(ctx context.Context,
// keys []string) error, as [MemoryStore] and ratelimit/rateredis's Store
// do; the local fallback is reset too. A read-only look at a key's state
// is AllowN(ctx, key, 0).
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if l.mem != nil {
		hk := l.mem.hash(key)
		for _, p := range l.allPolicies() {
			for i := range p {
				l.mem.remove(memHash(hk, p[i].salt))
			}
		}
		return nil
	}
	rs, ok := l.store.(resetter)
	if !ok {
		return errors.New("ratelimit: the store cannot reset keys (it has no Reset method)")
	}
	var keys []string
	seen := map[string]bool{}
	for _, p := range l.allPolicies() {
		for i := range p {
			if k := string(appendStoreKey([]byte(p[i].keyPrefix), key)); !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	err := rs.Reset(ctx, keys)
	if err != nil {
		err = fmt.Errorf("ratelimit: reset: %w", err)
	}
	if fb, ok := l.fallback.(resetter); ok {
		err = errors.Join(err, fb.Reset(ctx, keys))
	}
	return err
}

// allPolicies returns the enforced and shadow policies of every tier.
func (l *Limiter) allPolicies() [][]compiled {
	all := [][]compiled{l.p, l.sp}
	for _, t := range l.tiers {
		all = append(all, t.p, t.sp)
	}
	return all
}

// Reset implements the reset [Limiter.Reset] needs: it forgets the state
// of keys (as filed by [MemoryStore.Take]). It never fails.
func (s *MemoryStore) Reset(_ context.Context, keys []string) error {
	for _, k := range keys {
		s.remove(s.hash(k))
	}
	return nil
}

// remove forgets the key filed under h.
func (s *MemoryStore) remove(h uint64) {
	sh := &s.shards[s.shardOf(h)]
	sh.mu.Lock()
	if i, ok := sh.t.find(h); ok {
		sh.t.remove(i)
		sh.count.Add(-1)
	}
	sh.mu.Unlock()
}
