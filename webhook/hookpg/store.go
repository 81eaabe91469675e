package hookpg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a webhook.Store in PostgreSQL. It is safe for concurrent use;
// any number of processes may share its tables.
type Store struct {
	pool    *pgxpool.Pool
	t       tables
	timeout time.Duration

	enqueueSQL, leaseSQL, leaseOrderedSQL, finishSQL, finishCheckSQL, releaseSQL, messageSQL,
	attemptsSQL, replaySQL, stateSQL, setEndpointSQL, endpointSQL, deadSQL, deadEndpointSQL string
}

var _ webhook.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*options)

type options struct {
	table   string
	timeout time.Duration
}

// WithTable names the messages table; the attempts and endpoints tables
// add "_attempts" and "_endpoints" to it. At most 40 ASCII letters,
// digits and underscores. Default: "apikit_webhook".
func WithTable(name string) Option { return func(o *options) { o.table = name } }

// WithTimeout bounds every statement, on top of the caller's deadline.
// Default: 5s.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// New returns a Store over pool. It does not create the tables: run
// Store.Migrate once, or apply Store.Schema with your migration tool.
func New(pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	o := options{table: "apikit_webhook", timeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if pool == nil {
		return nil, errors.New("hookpg: nil pool")
	}
	if o.timeout <= 0 {
		return nil, fmt.Errorf("hookpg: WithTimeout(%v): want a positive duration", o.timeout)
	}
	t, err := parseTable(o.table)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, t: t, timeout: o.timeout}
	s.prepare()
	return s, nil
}

type txKey struct{}

// WithTx returns a copy of ctx that makes Store.Enqueue (and so
// webhook.Dispatcher.Enqueue) insert the message in tx: the message is
// committed or rolled back with the caller's own writes.
func WithTx(ctx context.Context, tx pgx.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

func (s *Store) prepare() {
	m, a, e := s.t.messages, s.t.attempts, s.t.endpoints
	s.enqueueSQL = `INSERT INTO ` + m + ` (id, endpoint, event_type, payload, created_at, next_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`
	// Two lease statements, rather than one with a flag, so that a cached
	// generic plan never evaluates the ordering subquery it does not need.
	lease := func(extra string) string {
		return `UPDATE ` + m + ` AS m SET next_at = $2, token = $3
FROM (
    SELECT c.id, c.next_at FROM ` + m + ` AS c
    WHERE c.state = 0 AND c.next_at <= $1
      AND c.endpoint <> ALL ($4::text[])
      AND NOT EXISTS (SELECT 1 FROM ` + e + ` AS e WHERE e.url = c.endpoint AND e.disabled)` + extra + `
    ORDER BY c.next_at
    LIMIT 1
    FOR UPDATE SKIP LOCKED
) AS picked
WHERE m.id = picked.id
RETURNING m.id, m.endpoint, m.event_type, m.payload, m.attempts, m.failures, m.created_at, picked.next_at`
	}
	s.leaseSQL = lease("")
	s.leaseOrderedSQL = lease(`
      AND NOT EXISTS (
          SELECT 1 FROM ` + m + ` AS o WHERE o.endpoint = c.endpoint AND o.state = 0 AND o.seq < c.seq)`)
	s.finishSQL = `WITH m AS (
    UPDATE ` + m + ` SET attempts = $3, state = $4, next_at = $5, failures = $6
    WHERE id = $1 AND token = $2 AND attempts = $3 - 1 AND state = 0
    RETURNING id, endpoint
), a AS (
    INSERT INTO ` + a + ` (message_id, number, at, status, latency_us, error)
    SELECT id, $3, $7, $8, $9, $10 FROM m
    ON CONFLICT DO NOTHING
), e AS (
    INSERT INTO ` + e + ` (url, disabled)
    SELECT endpoint, true FROM m WHERE $11
    ON CONFLICT (url) DO UPDATE SET disabled = true
)
SELECT count(*) FROM m`
	s.finishCheckSQL = `SELECT token, attempts FROM ` + m + ` WHERE id = $1`
	s.releaseSQL = `UPDATE ` + m + ` SET next_at = $3 WHERE id = $1 AND token = $2 AND state = 0`
	s.messageSQL = `SELECT id, endpoint, event_type, payload, state, attempts, failures, created_at, next_at
FROM ` + m + ` WHERE id = $1`
	s.attemptsSQL = `SELECT number, at, status, latency_us, error FROM ` + a + `
WHERE message_id = $1 ORDER BY number`
	// One statement, so that the state read when nothing was replayed is
	// the one the UPDATE saw: read after it, a Finish in between could
	// have made a message that was pending dead.
	s.replaySQL = `WITH r AS (
    UPDATE ` + m + ` SET state = 0, next_at = $2, failures = 0, token = ''
    WHERE id = $1 AND state = 2
    RETURNING id
)
SELECT EXISTS (SELECT 1 FROM r), (SELECT state FROM ` + m + ` WHERE id = $1)`
	s.stateSQL = `SELECT state FROM ` + m + ` WHERE id = $1`
	// Two statements, so that each is planned for its own partial index;
	// the row comparison is where the index scan starts. A nil cursor is
	// ('-infinity', '').
	dead := func(extra string) string {
		return `SELECT id, endpoint, event_type, payload, attempts, failures, created_at, next_at
FROM ` + m + `
WHERE state = 2` + extra + ` AND (next_at, id COLLATE "C") > ($1, $2)
ORDER BY next_at, id COLLATE "C"
LIMIT $3`
	}
	s.deadSQL = dead("")
	s.deadEndpointSQL = dead(" AND endpoint = $4")
	s.setEndpointSQL = `INSERT INTO ` + e + ` (url, disabled) VALUES ($1, $2)
ON CONFLICT (url) DO UPDATE SET disabled = EXCLUDED.disabled`
	s.endpointSQL = `SELECT disabled FROM ` + e + ` WHERE url = $1`
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Enqueue implements webhook.Store in one INSERT … ON CONFLICT DO
// NOTHING, inside the transaction of a context from WithTx if there is
// one.
func (s *Store) Enqueue(ctx context.Context, m webhook.Message) (bool, error) {
	var db execer = s.pool
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok && tx != nil {
		db = tx
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	payload := m.Payload
	if payload == nil {
		payload = []byte{}
	}
	tag, err := db.Exec(ctx, s.enqueueSQL, m.ID, m.Endpoint, m.Type, payload, m.CreatedAt, m.NextAt)
	if err != nil {
		return false, fmt.Errorf("hookpg: enqueue: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Lease implements webhook.Store in one UPDATE over a SELECT … FOR UPDATE
// SKIP LOCKED.
func (s *Store) Lease(ctx context.Context, r webhook.LeaseRequest) (webhook.Message, bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	skip := r.Skip
	if skip == nil {
		skip = []string{}
	}
	sql := s.leaseSQL
	if r.Ordered {
		sql = s.leaseOrderedSQL
	}
	var m webhook.Message
	err := s.pool.QueryRow(ctx, sql, r.Now, r.Until, r.Token, skip).
		Scan(&m.ID, &m.Endpoint, &m.Type, &m.Payload, &m.Attempts, &m.Failures, &m.CreatedAt, &m.NextAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return webhook.Message{}, false, nil
	}
	if err != nil {
		return webhook.Message{}, false, fmt.Errorf("hookpg: lease: %w", err)
	}
	m.State = webhook.Pending
	return m, true, nil
}

// Finish implements webhook.Store in one statement: the message's UPDATE
// checking the token and the attempt number, the attempt's INSERT and,
// for a 410, the endpoint's.
func (s *Store) Finish(ctx context.Context, id, token string, r webhook.Result) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	a := r.Attempt
	nextAt := r.NextAt
	if nextAt.IsZero() {
		nextAt = a.At
	}
	var n int
	err := s.pool.QueryRow(ctx, s.finishSQL, id, token, a.Number, int16(r.State), nextAt, r.Failures,
		a.At, a.Status, a.Latency.Microseconds(), a.Error, r.DisableEndpoint).Scan(&n)
	if err != nil {
		return fmt.Errorf("hookpg: finish: %w", err)
	}
	if n == 1 {
		return nil
	}
	// Nothing changed: a repeat of a Finish that took effect, or a lost
	// lease.
	var (
		tok      string
		attempts int
	)
	err = s.pool.QueryRow(ctx, s.finishCheckSQL, id).Scan(&tok, &attempts)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("hookpg: finish: %w", err)
	}
	if err == nil && tok == token && attempts == a.Number {
		return nil
	}
	return webhook.ErrLeaseLost
}

// Release implements webhook.Store in one UPDATE checking the token.
func (s *Store) Release(ctx context.Context, id, token string, at time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, s.releaseSQL, id, token, at)
	if err != nil {
		return fmt.Errorf("hookpg: release: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return webhook.ErrLeaseLost
	}
	return nil
}

// Message implements webhook.Store.
func (s *Store) Message(ctx context.Context, id string) (webhook.Message, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var (
		m     webhook.Message
		state int16
	)
	err := s.pool.QueryRow(ctx, s.messageSQL, id).Scan(&m.ID, &m.Endpoint, &m.Type, &m.Payload, &state,
		&m.Attempts, &m.Failures, &m.CreatedAt, &m.NextAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return webhook.Message{}, webhook.ErrNotFound
	}
	if err != nil {
		return webhook.Message{}, fmt.Errorf("hookpg: message: %w", err)
	}
	m.State = webhook.State(state)
	return m, nil
}

// Attempts implements webhook.Store.
func (s *Store) Attempts(ctx context.Context, id string) ([]webhook.Attempt, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, s.attemptsSQL, id)
	if err != nil {
		return nil, fmt.Errorf("hookpg: attempts: %w", err)
	}
	out := []webhook.Attempt{}
	for rows.Next() {
		var (
			a  webhook.Attempt
			us int64
		)
		if err := rows.Scan(&a.Number, &a.At, &a.Status, &us, &a.Error); err != nil {
			rows.Close()
			return nil, fmt.Errorf("hookpg: attempts: %w", err)
		}
		a.Latency = time.Duration(us) * time.Microsecond
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hookpg: attempts: %w", err)
	}
	if len(out) == 0 {
		if _, err := s.state(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) state(ctx context.Context, id string) (webhook.State, error) {
	var state int16
	err := s.pool.QueryRow(ctx, s.stateSQL, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, webhook.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("hookpg: %w", err)
	}
	return webhook.State(state), nil
}

// Replay implements webhook.Store.
func (s *Store) Replay(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var (
		replayed bool
		state    *int16
	)
	if err := s.pool.QueryRow(ctx, s.replaySQL, id, at).Scan(&replayed, &state); err != nil {
		return fmt.Errorf("hookpg: replay: %w", err)
	}
	switch {
	case replayed:
		return nil
	case state == nil:
		return webhook.ErrNotFound
	case webhook.State(*state) == webhook.Delivered:
		return webhook.ErrNotDead
	}
	// Pending, or dead in the statement's snapshot but replayed by
	// another Replay at the same time.
	return nil
}

// DeadLetters implements webhook.Store with an index scan of a partial
// index on the dead letters (by endpoint with q.Endpoint).
func (s *Store) DeadLetters(ctx context.Context, q webhook.DeadQuery) ([]webhook.Message, error) {
	if q.Limit < 1 || q.Limit > webhook.MaxDeadLimit {
		return nil, fmt.Errorf("hookpg: dead letters: limit %d: want 1 to %d", q.Limit, webhook.MaxDeadLimit)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	at, id := pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, ""
	if q.After != nil {
		at, id = pgtype.Timestamptz{Time: q.After.At, Valid: true}, q.After.ID
	}
	args := []any{at, id, q.Limit}
	sql := s.deadSQL
	if q.Endpoint != "" {
		sql, args = s.deadEndpointSQL, append(args, q.Endpoint)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("hookpg: dead letters: %w", err)
	}
	out := []webhook.Message{}
	for rows.Next() {
		m := webhook.Message{State: webhook.Dead}
		if err := rows.Scan(&m.ID, &m.Endpoint, &m.Type, &m.Payload, &m.Attempts, &m.Failures, &m.CreatedAt, &m.NextAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("hookpg: dead letters: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hookpg: dead letters: %w", err)
	}
	return out, nil
}

// SetEndpointDisabled implements webhook.Store.
func (s *Store) SetEndpointDisabled(ctx context.Context, endpoint string, disabled bool) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, s.setEndpointSQL, endpoint, disabled); err != nil {
		return fmt.Errorf("hookpg: set endpoint: %w", err)
	}
	return nil
}

// EndpointDisabled implements webhook.Store.
func (s *Store) EndpointDisabled(ctx context.Context, endpoint string) (bool, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var disabled bool
	err := s.pool.QueryRow(ctx, s.endpointSQL, endpoint).Scan(&disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("hookpg: endpoint: %w", err)
	}
	return disabled, nil
}
