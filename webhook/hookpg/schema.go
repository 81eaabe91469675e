package hookpg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/apikit-go/apikit/internal/pgident"
)

// tables holds the quoted names of a store's tables and indexes.
type tables struct {
	messages, attempts, endpoints     string
	dueIdx, orderIdx, deadIdx, deadEp string
}

// maxTable leaves room for the longest derived name, <table>_endpoints_x.
const maxTable = 40

func parseTable(name string) (tables, error) {
	if _, err := pgident.Split(name, false, 63-maxTable); err != nil {
		return tables{}, fmt.Errorf("hookpg: %w", err)
	}
	q := func(s string) string { return pgx.Identifier{s}.Sanitize() }
	return tables{
		messages:  q(name),
		attempts:  q(name + "_attempts"),
		endpoints: q(name + "_endpoints"),
		dueIdx:    q(name + "_due_idx"),
		orderIdx:  q(name + "_order_idx"),
		deadIdx:   q(name + "_dead_idx"),
		deadEp:    q(name + "_dead_ep_idx"),
	}, nil
}

// Schema returns the SQL that Store.Migrate runs, for services that apply
// migrations with their own tools. state is 0 pending, 1 delivered, 2
// dead; seq orders each endpoint's messages for in-order delivery. The
// partial indexes on dead letters serve Store.DeadLetters; on a big
// existing table, create them CONCURRENTLY before Migrate does it with a
// lock on writes.
func (s *Store) Schema() string {
	t := s.t
	return `CREATE TABLE IF NOT EXISTS ` + t.messages + ` (
    id         text        PRIMARY KEY,
    seq        bigserial   NOT NULL,
    endpoint   text        NOT NULL,
    event_type text        NOT NULL,
    payload    bytea       NOT NULL,
    state      smallint    NOT NULL DEFAULT 0,
    attempts   integer     NOT NULL DEFAULT 0,
    failures   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    next_at    timestamptz NOT NULL,
    token      text        NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS ` + t.dueIdx + ` ON ` + t.messages + ` (next_at) WHERE state = 0;
CREATE INDEX IF NOT EXISTS ` + t.orderIdx + ` ON ` + t.messages + ` (endpoint, seq) WHERE state = 0;
CREATE INDEX IF NOT EXISTS ` + t.deadIdx + ` ON ` + t.messages + ` (next_at, id COLLATE "C") WHERE state = 2;
CREATE INDEX IF NOT EXISTS ` + t.deadEp + ` ON ` + t.messages + ` (endpoint, next_at, id COLLATE "C") WHERE state = 2;
CREATE TABLE IF NOT EXISTS ` + t.attempts + ` (
    message_id text        NOT NULL,
    number     integer     NOT NULL,
    at         timestamptz NOT NULL,
    status     integer     NOT NULL,
    latency_us bigint      NOT NULL,
    error      text        NOT NULL,
    PRIMARY KEY (message_id, number)
);
CREATE TABLE IF NOT EXISTS ` + t.endpoints + ` (
    url      text    PRIMARY KEY,
    disabled boolean NOT NULL
);
`
}

// migrateLock serialises concurrent migrations (CREATE TABLE IF NOT
// EXISTS alone can fail when two sessions run it at once).
const migrateLock = "SELECT pg_advisory_xact_lock(hashtext('apikit/webhook/hookpg/migrate'));\n"

// Migrate creates the tables and indexes if they do not exist. It is
// idempotent and safe to run from several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if _, err := s.pool.Exec(ctx, migrateLock+s.Schema()); err != nil {
		return fmt.Errorf("hookpg: migrate: %w", err)
	}
	return nil
}
