package sigredis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apikit-go/apikit/signature"
	"github.com/redis/go-redis/v9"
)

// Store is a [signature.ReplayStore] in Redis. It is safe for concurrent
// use; any number of processes may share its keys.
type Store struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
	release *redis.Script
}

var _ signature.ReplayStore = (*Store)(nil)

// Option configures a [Store].
type Option func(*Store) error

// WithPrefix sets the prefix put before every key; use it to keep several
// services or environments sharing one Redis apart. It must not be empty.
// Default: "apikit:sig:".
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if prefix == "" {
			return errors.New("sigredis: empty prefix")
		}
		s.prefix = prefix
		return nil
	}
}

// WithTimeout sets the deadline of each call to Redis; a call that does
// not answer in time fails, and the verifier answers 503. go-redis applies
// it to the network only with ContextTimeoutEnabled set on the client;
// otherwise it bounds the wait for a pooled connection and the client's
// ReadTimeout and WriteTimeout apply. It must be positive. Default: 1 second.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return errors.New("sigredis: timeout must be positive")
		}
		s.timeout = d
		return nil
	}
}

// New returns a Store that keeps its records in client (a *redis.Client,
// *redis.ClusterClient, *redis.Ring or any redis.UniversalClient). It does
// not contact Redis.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("sigredis: nil client")
	}
	s := &Store{client: client, prefix: "apikit:sig:", timeout: time.Second, release: redis.NewScript(releaseScript)}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Reserve implements [signature.ReplayStore] with one command:
// SET key token NX GET PXAT until. The old value it returns tells a
// repeated call (the same token) from another holder.
func (s *Store) Reserve(ctx context.Context, key, token string, until time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	at := until.UnixMilli()
	if at < 1 {
		at = 1 // PXAT must be positive; a past time expires the key at once
	}
	old, err := s.client.Do(ctx, "SET", s.prefix+key, token, "NX", "GET", "PXAT", at).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("sigredis: reserve: %w", err)
	}
	return old == token, nil
}

// releaseScript deletes the key only for its holder.
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

// Release implements [signature.ReplayStore] with one script run.
func (s *Store) Release(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.release.Run(ctx, s.client, []string{s.prefix + key}, token).Err(); err != nil {
		return fmt.Errorf("sigredis: release: %w", err)
	}
	return nil
}
