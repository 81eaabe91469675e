package hookredis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// IndexDeadLetters adds the dead letters kept by an earlier version of
// this package, which had no index of them, to the index DeadLetters
// reads, and returns how many it added. Run it once after upgrading from
// apikit v0.2; it is safe to run again and while Dispatchers work. It
// walks every key of the store's prefix with SCAN (so it can take a while
// on a big Redis); each batch of keys has the store's timeout
// (WithTimeout), ctx bounds the whole walk.
func (s *Store) IndexDeadLetters(ctx context.Context) (int, error) {
	pattern := globEscape(s.prefix) + "m:*"
	var added atomic.Int64
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		var cursor uint64
		for {
			bctx, cancel := s.ctx(ctx)
			keys, next, err := c.Scan(bctx, cursor, pattern, 1000).Result()
			if err == nil {
				var n int
				n, err = s.indexDead(bctx, keys)
				added.Add(int64(n))
			}
			cancel()
			if err != nil {
				return err
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	var err error
	if cc, ok := s.c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, s.c)
	}
	if err != nil {
		return int(added.Load()), fmt.Errorf("hookredis: index dead letters: %w", err)
	}
	return int(added.Load()), nil
}

// indexDead indexes the dead letters among the message keys that are not
// in the index yet.
func (s *Store) indexDead(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	pipe := s.c.Pipeline()
	fields := make([]*redis.SliceCmd, len(keys))
	for i, k := range keys {
		fields[i] = pipe.HMGet(ctx, k, "state", "next", "dead")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	added := 0
	for i, k := range keys {
		f := fields[i].Val()
		if len(f) != 3 || f[0] != "2" || f[2] != nil {
			continue
		}
		next, _ := f[1].(string)
		us, err := strconv.ParseInt(next, 10, 64)
		if err != nil {
			continue
		}
		id := strings.TrimPrefix(k, s.prefix+"m:")
		n, err := indexDeadScript.Run(ctx, s.c, []string{k, s.dead()}, deadEntryMicros(us, id), next).Int()
		if err != nil {
			return added, err
		}
		added += n
	}
	return added, nil
}

// globEscape escapes the characters SCAN's MATCH treats as a pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
