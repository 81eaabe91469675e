package rateredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// acquireScript takes a slot of KEYS[1], a sorted set of lease tokens
// scored by their expiry (server milliseconds): it drops expired leases
// and adds ARGV[3] for ARGV[2] ms when fewer than ARGV[1] remain. It
// returns {taken (1 or 0), slots in flight}. A token already held is
// renewed, so a repeated call (a client retry) takes no second slot. The
// key lives at least as long as its longest lease: a shorter lease of
// another limiter on the same key never shortens it.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
local held = redis.call('ZSCORE', KEYS[1], ARGV[3])
if not held and n >= tonumber(ARGV[1]) then
  return {0, n}
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
if not held then n = n + 1 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return {1, n}
`)

// Acquire takes one of limit slots of key for lease (one round trip), for
// ratelimit.WithConcurrency, and returns the token that releases it. A
// slot whose holder never releases it (a replica that crashed) comes back
// when its lease ends.
func (s *Store) Acquire(ctx context.Context, key string, limit int64, lease time.Duration) (string, int64, bool, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	ms := max(lease.Milliseconds(), 1)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	v, err := acquireScript.Run(ctx, s.client, []string{string(s.appendKey(nil, key))}, limit, ms, token).Int64Slice()
	if err != nil {
		return "", 0, false, fmt.Errorf("rateredis: acquire: %w", err)
	}
	if len(v) != 2 {
		return "", 0, false, fmt.Errorf("rateredis: acquire: reply %v", v)
	}
	return token, v[1], v[0] == 1, nil
}

// renewScript extends the lease of token ARGV[2] in KEYS[1] to ARGV[1]
// ms from now, if it is still held: it drops expired leases first and
// never adds a token that is not there (ZADD XX). It returns 1 if renewed,
// 0 if the slot was given back or its lease had ended. Repeating it moves
// the expiry and nothing else.
var renewScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local lease = tonumber(ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return 1
`)

// Renew extends the lease of the slot of token to lease from now (one
// round trip), for ratelimit.WithConcurrency, which calls it while the
// request's handler runs. It reports false, and changes nothing, when the
// slot is no longer held: given back by Release, or its lease ended
// before the renewal. It is safe to repeat.
func (s *Store) Renew(ctx context.Context, key, token string, lease time.Duration) (bool, error) {
	ms := max(lease.Milliseconds(), 1)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	v, err := renewScript.Run(ctx, s.client, []string{string(s.appendKey(nil, key))}, ms, token).Int64()
	if err != nil {
		return false, fmt.Errorf("rateredis: renew: %w", err)
	}
	return v == 1, nil
}

// Release gives back the slot of token (one round trip).
func (s *Store) Release(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout)
	defer cancel()
	if err := s.client.ZRem(ctx, string(s.appendKey(nil, key)), token).Err(); err != nil {
		return fmt.Errorf("rateredis: release: %w", err)
	}
	return nil
}
