package sigpg

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apikit-go/apikit/signature"
	"github.com/jackc/pgx/v5"

	"github.com/apikit-go/apikit/internal/pgident"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a [signature.ReplayStore] in a PostgreSQL table. It is safe for
// concurrent use; any number of processes may share the table.
type Store struct {
	pool    *pgxpool.Pool
	name    string
	table   string // quoted
	index   string // quoted
	timeout time.Duration
	every   time.Duration

	reserveSQL, releaseSQL, cleanupSQL string

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

var _ signature.ReplayStore = (*Store)(nil)

// Option configures a [Store].
type Option func(*Store) error

// WithTable sets the table: "table" or "schema.table", each part of ASCII
// letters, digits and underscores. Default: "apikit_signature_replay".
func WithTable(name string) Option {
	return func(s *Store) error {
		s.name = name
		return nil
	}
}

// WithTimeout sets the deadline of each statement; one that does not
// answer in time fails, and the verifier answers 503. It must be positive.
// Default: 2 seconds.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) error {
		if d <= 0 {
			return errors.New("sigpg: timeout must be positive")
		}
		s.timeout = d
		return nil
	}
}

// WithCleanupInterval sets how often a background goroutine deletes
// expired rows ([Store.Cleanup]); d <= 0 turns it off. [Store.Close]
// stops it. Default: 1 minute.
func WithCleanupInterval(d time.Duration) Option {
	return func(s *Store) error {
		s.every = d
		return nil
	}
}

// New returns a Store that keeps its rows in pool's database and starts
// the background cleanup. It does not contact the database: run
// [Store.Migrate] (or the SQL of the package documentation) first.
func New(pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, errors.New("sigpg: nil pool")
	}
	s := &Store{pool: pool, name: "apikit_signature_replay", timeout: 2 * time.Second, every: time.Minute}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	var err error
	if s.table, s.index, err = parseTable(s.name); err != nil {
		return nil, err
	}
	s.reserveSQL = `INSERT INTO ` + s.table + ` AS r (key, token, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
WHERE r.expires_at <= now() OR r.token = EXCLUDED.token
RETURNING true`
	s.releaseSQL = `DELETE FROM ` + s.table + ` WHERE key = $1 AND token = $2`
	s.cleanupSQL = `DELETE FROM ` + s.table + ` WHERE key IN (SELECT key FROM ` + s.table +
		` WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)`
	if s.every > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.loop()
	}
	return s, nil
}

// Migrate creates the table and its index if they do not exist. It is
// safe to run again and from several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	sql := `SELECT pg_advisory_xact_lock(hashtext('apikit/signature/sigpg/migrate'));
CREATE TABLE IF NOT EXISTS ` + s.table + ` (
    key        text        PRIMARY KEY,
    token      text        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ` + s.index + ` ON ` + s.table + ` (expires_at);`
	if _, err := s.pool.Exec(ctx, sql); err != nil {
		return fmt.Errorf("sigpg: migrate: %w", err)
	}
	return nil
}

// Reserve implements [signature.ReplayStore] with one statement.
func (s *Store) Reserve(ctx context.Context, key, token string, until time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var ok bool
	err := s.pool.QueryRow(ctx, s.reserveSQL, key, token, until).Scan(&ok)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sigpg: reserve: %w", err)
	}
	return ok, nil
}

// Release implements [signature.ReplayStore] with one statement.
func (s *Store) Release(ctx context.Context, key, token string) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if _, err := s.pool.Exec(ctx, s.releaseSQL, key, token); err != nil {
		return fmt.Errorf("sigpg: release: %w", err)
	}
	return nil
}

// Cleanup deletes expired rows, 1,000 per statement, until none is left or
// ctx ends, and returns how many it deleted. Expired rows never block a
// message, so it only reclaims space.
func (s *Store) Cleanup(ctx context.Context) (int64, error) {
	const batch = 1000
	var total int64
	for {
		sctx, cancel := context.WithTimeout(ctx, s.timeout)
		tag, err := s.pool.Exec(sctx, s.cleanupSQL, batch)
		cancel()
		if err != nil {
			return total, fmt.Errorf("sigpg: cleanup: %w", err)
		}
		total += tag.RowsAffected()
		if tag.RowsAffected() < batch {
			return total, nil
		}
	}
}

// Close stops the background cleanup and waits for it to end. It does not
// close the pool; it is safe to call more than once.
func (s *Store) Close() error {
	s.once.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
	})
	return nil
}

func (s *Store) loop() {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			_, _ = s.Cleanup(ctx) // the next tick tries again
		}
	}
}

// parseTable validates name, "table" or "schema.table", and returns its
// quoted form and the quoted name of its expiry index.
func parseTable(name string) (table, index string, err error) {
	const suffix = "_expires_at_idx"
	parts, err := pgident.Split(name, true, len(suffix))
	if err != nil {
		return "", "", fmt.Errorf("sigpg: %w", err)
	}
	return pgx.Identifier(parts).Sanitize(), pgx.Identifier{parts[len(parts)-1] + suffix}.Sanitize(), nil
}
