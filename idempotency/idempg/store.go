package idempg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DB is what the store needs from PostgreSQL. *pgxpool.Pool, *pgx.Conn and
// pgx.Tx satisfy it; use a pool in a server.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store is an [idempotency.Store] kept in a PostgreSQL table. Each method
// is one SQL statement, timed by the database's clock. A Store is safe for
// concurrent use; any number of processes may share the table.
type Store struct {
	db         DB
	table      string // quoted
	index      string // quoted
	scopeIndex string // quoted
	onError    func(error)
	timeout    time.Duration
	maxScope   int

	claimSQL, completeSQL, extendSQL, releaseSQL, cleanupSQL string

	every time.Duration // cleanup loop period; 0: no loop
	batch int
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

var _ idempotency.Store = (*Store)(nil)

// Option configures a [Store].
type Option func(*Store)

// WithTable sets the table name: an unquoted
// identifier, optionally schema-qualified ("schema.table"), of ASCII
// letters, digits and underscores. It is quoted as given, so its case is
// kept. [New] rejects any other name.
func WithTable(name string) Option {
	return func(s *Store) { s.table = name }
}

// WithTimeout bounds each statement the store runs. Default: 2 seconds.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) { s.timeout = d }
}

// WithMaxScopeEntries caps the live records one caller's scope may hold
// (see [idempotency.Store]). A new key beyond it evicts the scope's
// completed record that expires first, or, if all are in progress, fails
// with [idempotency.ErrScopeFull]: one caller can fill only its own share.
// Checking the bound reads up to n index entries per new key, so keep it
// moderate. Default: 10,000.
func WithMaxScopeEntries(n int) Option {
	return func(s *Store) { s.maxScope = n }
}

// WithCleanup starts a background goroutine that calls [Store.Cleanup]
// with batch every period until [Store.Close]. Without it, call Cleanup
// yourself (from a cron job, say): expired rows are never served, only
// kept.
func WithCleanup(every time.Duration, batch int) Option {
	return func(s *Store) { s.every, s.batch = every, batch }
}

// WithErrorHandler sets a function that receives the errors of the
// background cleanup (default: they are dropped; the next run tries again).
func WithErrorHandler(f func(error)) Option {
	return func(s *Store) { s.onError = f }
}

// New returns a Store that keeps its records in db. It does not create the
// table: run [Store.Migrate] once (or apply [Store.Schema] with your own
// migration tool). New fails on an invalid table name or cleanup setting.
func New(db DB, opts ...Option) (*Store, error) {
	s := &Store{db: db, table: "apikit_idempotency", timeout: 2 * time.Second, maxScope: 10_000}
	for _, opt := range opts {
		opt(s)
	}
	if db == nil {
		return nil, errors.New("idempg: nil DB")
	}
	table, index, scopeIndex, err := parseTable(s.table)
	if err != nil {
		return nil, err
	}
	s.table, s.index, s.scopeIndex = table, index, scopeIndex
	if s.timeout <= 0 {
		return nil, fmt.Errorf("idempg: WithTimeout(%v): want a positive duration", s.timeout)
	}
	if s.maxScope <= 0 {
		return nil, fmt.Errorf("idempg: WithMaxScopeEntries(%d): want a positive count", s.maxScope)
	}
	if s.every < 0 || (s.every > 0 && s.batch <= 0) {
		return nil, fmt.Errorf("idempg: cleanup every %v with batch %d: want a positive period and batch", s.every, s.batch)
	}
	s.claimSQL = fmt.Sprintf(claimSQL, table)
	s.completeSQL = fmt.Sprintf(completeSQL, table)
	s.extendSQL = fmt.Sprintf(extendSQL, table)
	s.releaseSQL = fmt.Sprintf(releaseSQL, table)
	s.cleanupSQL = fmt.Sprintf(cleanupSQL, table)
	if s.every > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.loop()
	}
	return s, nil
}

// Table returns the quoted name of the store's table.
func (s *Store) Table() string { return s.table }

// maxKeyLen is the longest key stored verbatim; longer keys are hashed so
// that they fit in a B-tree index entry.
const maxKeyLen = 512

// hashedPrefix marks a stored key that is the SHA-256 of the real key.
const hashedPrefix = "sha256:"

// dbKey returns the primary key for key: key itself, or hashedPrefix and
// the hex SHA-256 of key if key is long, is not valid UTF-8, contains NUL
// (which text cannot hold) or itself starts with hashedPrefix (so a stored
// key with the prefix is always a hash).
func dbKey(key string) string {
	if len(key) <= maxKeyLen && utf8.ValidString(key) && !strings.ContainsRune(key, 0) && !strings.HasPrefix(key, hashedPrefix) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hashedPrefix + hex.EncodeToString(sum[:])
}

// Claim implements [idempotency.Store] in one statement (see the package
// documentation): an UPDATE that takes over an expired record, an INSERT …
// ON CONFLICT DO NOTHING for an absent key, and a read of the live record
// otherwise, which neither writes nor locks it.
func (s *Store) Claim(ctx context.Context, key, fingerprint, owner string, lease time.Duration) (idempotency.Claim, error) {
	us, err := micros("lease", lease)
	if err != nil {
		return idempotency.Claim{}, err
	}
	k := dbKey(key)
	scope, _, ok := strings.Cut(key, "/")
	if !ok {
		scope = ""
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// A retry is needed only if a concurrent claim committed the record
	// after this statement's snapshot was taken; the next snapshot sees it.
	for range 5 {
		var (
			outcome int
			resp    []byte
			left    int64
		)
		err := s.db.QueryRow(ctx, s.claimSQL, k, []byte(fingerprint), []byte(owner), us, scope, s.maxScope).Scan(&outcome, &resp, &left)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return idempotency.Claim{}, fmt.Errorf("idempg: claim: %w", err)
		}
		switch o := idempotency.Outcome(outcome); o {
		case idempotency.Acquired, idempotency.Mismatch:
			return idempotency.Claim{Outcome: o}, nil
		case idempotency.InProgress:
			return idempotency.Claim{Outcome: o, RetryAfter: time.Duration(max(left, 1)) * time.Microsecond}, nil
		case idempotency.Completed:
			if resp == nil {
				resp = []byte{}
			}
			return idempotency.Claim{Outcome: o, Response: resp}, nil
		case 5:
			return idempotency.Claim{}, fmt.Errorf("idempg: claim: %w", idempotency.ErrScopeFull)
		}
		return idempotency.Claim{}, fmt.Errorf("idempg: claim: unexpected outcome %d", outcome)
	}
	return idempotency.Claim{}, errors.New("idempg: claim: the record kept changing under concurrent claims")
}

// Extend implements [idempotency.Store] in one UPDATE checking the owner.
func (s *Store) Extend(ctx context.Context, key, owner string, lease time.Duration) error {
	us, err := micros("lease", lease)
	if err != nil {
		return err
	}
	return s.owned(ctx, "extend", s.extendSQL, dbKey(key), []byte(owner), us)
}

// Complete implements [idempotency.Store] in one UPDATE checking the owner.
func (s *Store) Complete(ctx context.Context, key, owner string, response []byte, retention time.Duration) error {
	us, err := micros("retention", retention)
	if err != nil {
		return err
	}
	if response == nil {
		response = []byte{}
	}
	return s.owned(ctx, "complete", s.completeSQL, dbKey(key), []byte(owner), response, us)
}

// Release implements [idempotency.Store] in one DELETE checking the owner.
func (s *Store) Release(ctx context.Context, key, owner string) error {
	return s.owned(ctx, "release", s.releaseSQL, dbKey(key), []byte(owner))
}

// owned runs an owner-checked statement that touches one row or none.
func (s *Store) owned(ctx context.Context, op, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	tag, err := s.db.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("idempg: %s: %w", op, err)
	}
	if tag.RowsAffected() != 1 {
		return idempotency.ErrNotOwner
	}
	return nil
}

// micros converts d to whole microseconds, rounding up so that a positive
// duration never becomes zero.
func micros(name string, d time.Duration) (int64, error) {
	if d <= 0 {
		return 0, fmt.Errorf("idempg: %s must be positive, got %v", name, d)
	}
	return int64((d + time.Microsecond - 1) / time.Microsecond), nil
}
