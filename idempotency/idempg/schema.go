package idempg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/apikit-go/apikit/internal/pgident"
)

// indexSuffix names the expiry index: <table>_expires_at_idx.
const indexSuffix = "_expires_at_idx"

// parseTable validates name, "table" or "schema.table", and returns its
// quoted form and the quoted name of its expiry index.
func parseTable(name string) (table, index, scopeIndex string, err error) {
	parts, err := pgident.Split(name, true, len(indexSuffix))
	if err != nil {
		return "", "", "", fmt.Errorf("idempg: %w", err)
	}
	last := parts[len(parts)-1]
	return pgx.Identifier(parts).Sanitize(), pgx.Identifier{last + indexSuffix}.Sanitize(),
		pgx.Identifier{last + "_scope_idx"}.Sanitize(), nil
}

// schemaSQL is the DDL of the table and its index; see the package
// documentation.
func schemaSQL(table, index, scopeIndex string) string {
	return `CREATE TABLE IF NOT EXISTS ` + table + ` (
    key         text        PRIMARY KEY,
    fingerprint bytea       NOT NULL,
    owner       bytea       NOT NULL,
    completed   boolean     NOT NULL DEFAULT false,
    response    bytea,
    expires_at  timestamptz NOT NULL,
    scope       text        NOT NULL DEFAULT ''
);
ALTER TABLE ` + table + ` ADD COLUMN IF NOT EXISTS scope text NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS ` + index + ` ON ` + table + ` (expires_at);
CREATE INDEX IF NOT EXISTS ` + scopeIndex + ` ON ` + table + ` (scope, expires_at) WHERE scope <> '';
`
}

// migrateLock is the advisory lock key that serialises concurrent
// migrations (CREATE TABLE IF NOT EXISTS alone can fail when two sessions
// run it at once).
const migrateLock = "SELECT pg_advisory_xact_lock(hashtext('apikit/idempotency/idempg/migrate'));\n"

// Schema returns the SQL that [Store.Migrate] runs: the table and its
// expiry index, for services that apply migrations with their own tools.
func (s *Store) Schema() string { return schemaSQL(s.table, s.index, s.scopeIndex) }

// Migrate creates the table and its index if they do not exist. It is
// idempotent and safe to run from several processes at once: the statements
// run in one implicit transaction under an advisory lock.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.db.Exec(ctx, migrateLock+s.Schema()); err != nil {
		return fmt.Errorf("idempg: migrate: %w", err)
	}
	return nil
}
