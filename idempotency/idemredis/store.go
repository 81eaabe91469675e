package idemredis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/redis/go-redis/v9"
)

// Store is an [idempotency.Store] kept in Redis. Each method is one Lua
// script run with EVALSHA (go-redis falls back to EVAL once if the server
// has lost the script), so every operation is atomic on the server, costs
// one round trip, and is safe to repeat: go-redis resends a command after a
// read timeout, and a claim resent by its owner is granted again. A Store
// is safe for concurrent use; any number of processes may share the same
// Redis keys.
type Store struct {
	client   redis.Scripter
	prefix   string
	timeout  time.Duration
	maxScope int
	claim    *redis.Script
	complete *redis.Script
	extend   *redis.Script
	release  *redis.Script
}

var _ idempotency.Store = (*Store)(nil)

// Option configures a [Store].
type Option func(*Store) error

// WithPrefix sets the prefix put before every key. Use it to keep several
// services, or several environments sharing one Redis, apart. Default:
// "apikit:idem:".
func WithPrefix(prefix string) Option {
	return func(s *Store) error { s.prefix = prefix; return nil }
}

// WithTimeout bounds each call to Redis. go-redis applies it to the
// network only if the client was created with ContextTimeoutEnabled: true
// (otherwise its ReadTimeout and WriteTimeout do). Default: 2 seconds.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return fmt.Errorf("idemredis: WithTimeout(%v): want a positive duration", d)
		}
		s.timeout = d
		return nil
	}
}

// WithMaxScopeEntries caps the records one caller's scope may hold (see
// [idempotency.Store]). A claim beyond it evicts the scope's oldest
// completed record, or, if the first 16 it looks at are all in progress,
// fails with [idempotency.ErrScopeFull]: one caller can fill only its own
// share. Default: 100,000.
func WithMaxScopeEntries(n int) Option {
	return func(s *Store) error {
		if n <= 0 {
			return fmt.Errorf("idemredis: WithMaxScopeEntries(%d): want a positive count", n)
		}
		s.maxScope = n
		return nil
	}
}

// New returns a Store that keeps its records in client, which may be a
// *redis.Client, *redis.ClusterClient, *redis.Ring or any
// redis.UniversalClient. It returns an error if client is nil or an option
// is invalid.
//
// Create the client with ContextTimeoutEnabled: true, so that the store's
// and the middleware's deadlines bound how long a call may wait.
func New(client redis.Scripter, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("idemredis: New: nil client")
	}
	s := &Store{
		client:   client,
		prefix:   "apikit:idem:",
		timeout:  2 * time.Second,
		maxScope: 100_000,
		claim:    redis.NewScript(claimScript),
		complete: redis.NewScript(completeScript),
		extend:   redis.NewScript(extendScript),
		release:  redis.NewScript(releaseScript),
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("idemredis: New: nil Option")
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Key returns the Redis key that holds the record of key: the prefix and
// key, with a scoped key's scope as the hash tag ("scope/id" becomes
// prefix+"{scope}/id").
func (s *Store) Key(key string) string {
	keys := s.keys(key)
	return keys[0]
}

// keys returns the record's Redis key and, for a scoped key, its scope's
// set.
func (s *Store) keys(key string) []string {
	scope, id, ok := strings.Cut(key, "/")
	if !ok || scope == "" {
		return []string{s.prefix + key}
	}
	tag := s.prefix + "{" + scope + "}"
	return []string{tag + "/" + id, tag}
}

func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// Claim implements [idempotency.Store]: one script reads the record and,
// if there is none, writes a new in-progress record that expires when the
// lease ends.
func (s *Store) Claim(ctx context.Context, key, fingerprint, owner string, lease time.Duration) (idempotency.Claim, error) {
	ms, err := millis("lease", lease)
	if err != nil {
		return idempotency.Claim{}, err
	}
	if err := ctx.Err(); err != nil {
		return idempotency.Claim{}, fmt.Errorf("idemredis: claim: %w", err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.claim.Run(ctx, s.client, s.keys(key), fingerprint, owner, ms, s.maxScope).Slice()
	if err != nil {
		return idempotency.Claim{}, fmt.Errorf("idemredis: claim: %w", err)
	}
	return parseClaim(res)
}

func parseClaim(res []any) (idempotency.Claim, error) {
	if len(res) == 0 {
		return idempotency.Claim{}, errors.New("idemredis: claim: empty reply")
	}
	code, ok := res[0].(int64)
	if !ok {
		return idempotency.Claim{}, fmt.Errorf("idemredis: claim: unexpected reply %T", res[0])
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
				return idempotency.Claim{}, fmt.Errorf("idemredis: claim: unexpected response type %T", res[1])
			}
			resp = []byte(str)
		}
		return idempotency.Claim{Outcome: idempotency.Completed, Response: resp}, nil
	case 5:
		return idempotency.Claim{}, fmt.Errorf("idemredis: claim: %w", idempotency.ErrScopeFull)
	}
	return idempotency.Claim{}, fmt.Errorf("idemredis: claim: unexpected outcome %d", code)
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
		return fmt.Errorf("idemredis: %s: %w", op, err)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n, err := script.Run(ctx, s.client, s.keys(key), args...).Int64()
	if err != nil {
		return fmt.Errorf("idemredis: %s: %w", op, err)
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
		return 0, fmt.Errorf("idemredis: %s must be positive, got %v", name, d)
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond), nil
}
