package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/redis/go-redis/v9"
)

// DefaultPrefix is the key prefix used when [WithPrefix] is not given.
const DefaultPrefix = "apikit:idem:"

// Store is an [idempotency.Store] kept in Redis. Each method is one Lua
// script run with EVALSHA (go-redis falls back to EVAL once if the server
// has lost the script), so every operation is atomic on the server and
// costs one round trip. A Store is safe for concurrent use; any number of
// processes may share the same Redis keys.
type Store struct {
	client   redis.Scripter
	prefix   string
	claim    *redis.Script
	complete *redis.Script
	extend   *redis.Script
	release  *redis.Script
}

var _ idempotency.Store = (*Store)(nil)

// Option configures a [Store].
type Option func(*Store)

// WithPrefix sets the prefix put before every key (default [DefaultPrefix]).
// Use it to keep several services, or several environments sharing one
// Redis, apart.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// New returns a Store that keeps its records in client, which may be a
// *redis.Client, *redis.ClusterClient, *redis.Ring or any
// redis.UniversalClient.
//
// go-redis applies a call's context deadline to the network only when the
// client was created with ContextTimeoutEnabled: true; set it so that
// per-request deadlines bound how long a store call may wait. Without it the
// client's ReadTimeout and WriteTimeout apply.
func New(client redis.Scripter, opts ...Option) *Store {
	s := &Store{
		client:   client,
		prefix:   DefaultPrefix,
		claim:    redis.NewScript(claimScript),
		complete: redis.NewScript(completeScript),
		extend:   redis.NewScript(extendScript),
		release:  redis.NewScript(releaseScript),
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Key returns the Redis key that holds the record of key.
func (s *Store) Key(key string) string { return s.prefix + key }

// Claim implements [idempotency.Store]: one script reads the record and,
// if there is none, writes a new in-progress record that expires when the
// lease ends.
func (s *Store) Claim(ctx context.Context, key, fingerprint, owner string, lease time.Duration) (idempotency.Claim, error) {
	ms, err := millis("lease", lease)
	if err != nil {
		return idempotency.Claim{}, err
	}
	if err := ctx.Err(); err != nil {
		return idempotency.Claim{}, fmt.Errorf("redisstore: claim: %w", err)
	}
	res, err := s.claim.Run(ctx, s.client, []string{s.Key(key)}, fingerprint, owner, ms).Slice()
	if err != nil {
		return idempotency.Claim{}, fmt.Errorf("redisstore: claim: %w", err)
	}
	return parseClaim(res)
}

func parseClaim(res []any) (idempotency.Claim, error) {
	if len(res) == 0 {
		return idempotency.Claim{}, errors.New("redisstore: claim: empty reply")
	}
	code, ok := res[0].(int64)
	if !ok {
		return idempotency.Claim{}, fmt.Errorf("redisstore: claim: unexpected reply %T", res[0])
	}
	switch idempotency.Outcome(code) {
	case idempotency.Acquired:
		return idempotency.Claim{Outcome: idempotency.Acquired}, nil
	case idempotency.Mismatch:
		return idempotency.Claim{Outcome: idempotency.Mismatch}, nil
	case idempotency.InProgress:
		ttl := int64(1)
		if len(res) > 1 {
			if v, ok := res[1].(int64); ok && v > 0 {
				ttl = v
			}
		}
		return idempotency.Claim{Outcome: idempotency.InProgress, RetryAfter: time.Duration(ttl) * time.Millisecond}, nil
	case idempotency.Completed:
		var resp []byte
		if len(res) > 1 {
			str, ok := res[1].(string)
			if !ok {
				return idempotency.Claim{}, fmt.Errorf("redisstore: claim: unexpected response type %T", res[1])
			}
			resp = []byte(str)
		}
		return idempotency.Claim{Outcome: idempotency.Completed, Response: resp}, nil
	}
	return idempotency.Claim{}, fmt.Errorf("redisstore: claim: unexpected outcome %d", code)
}

// Extend implements [idempotency.Store]: the record's expiry is reset to
// lease from now if owner still holds it in progress.
func (s *Store) Extend(ctx context.Context, key, owner string, lease time.Duration) error {
	ms, err := millis("lease", lease)
	if err != nil {
		return err
	}
	return s.run(ctx, "extend", s.extend, key, owner, ms)
}

// Complete implements [idempotency.Store]: response is stored and the
// record kept for retention if owner still holds it in progress.
func (s *Store) Complete(ctx context.Context, key, owner string, response []byte, retention time.Duration) error {
	ms, err := millis("retention", retention)
	if err != nil {
		return err
	}
	if response == nil {
		response = []byte{}
	}
	return s.run(ctx, "complete", s.complete, key, owner, response, ms)
}

// Release implements [idempotency.Store]: the record is deleted if owner
// still holds it in progress.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	return s.run(ctx, "release", s.release, key, owner)
}

// run executes an owner-checked script that answers 1 when it acted and 0
// when owner no longer holds the key.
func (s *Store) run(ctx context.Context, op string, script *redis.Script, key string, args ...any) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	n, err := script.Run(ctx, s.client, []string{s.Key(key)}, args...).Int64()
	if err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if n != 1 {
		return idempotency.ErrNotOwner
	}
	return nil
}

// millis converts d to whole milliseconds, rounding up so that a positive
// duration never becomes zero.
func millis(name string, d time.Duration) (int64, error) {
	if d <= 0 {
		return 0, fmt.Errorf("redisstore: %s must be positive, got %v", name, d)
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond), nil
}
