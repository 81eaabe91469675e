// Package idempg keeps idempotency records in a PostgreSQL table, for keys
// that must survive restarts and be shared by every replica of a service.
//
//	package main
//
//	import (
//		"context"
//		"io"
//		"log"
//		"net/http"
//		"os"
//		"time"
//
//		"github.com/jackc/pgx/v5/pgxpool"
//
//		"github.com/apikit-go/apikit/idempotency"
//		"github.com/apikit-go/apikit/idempotency/idempg"
//	)
//
//	func main() {
//		ctx := context.Background()
//		pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL")) // postgres://…
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer pool.Close()
//		store, err := idempg.New(pool, idempg.WithCleanup(time.Minute, 1000))
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer store.Close()
//		if err := store.Migrate(ctx); err != nil { // CREATE TABLE IF NOT EXISTS apikit_idempotency …
//			log.Fatal(err)
//		}
//		m, err := idempotency.New(store)
//		if err != nil {
//			log.Fatal(err)
//		}
//		http.Handle("POST /orders", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			w.WriteHeader(http.StatusCreated)
//			io.WriteString(w, "created\n")
//		})))
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
//	}
//
// Pass a *pgxpool.Pool, as above: the store runs each statement on whatever
// connection the pool hands out, and the cleanup goroutine of [WithCleanup]
// runs beside the requests. Anything with pgx's Exec and QueryRow is
// accepted (see [DB]); a single *pgx.Conn only where nothing else uses it
// at the same time.
//
// # Schema
//
// [Store.Migrate] runs, under an advisory lock so that replicas may all run
// it at start-up, the SQL that [Store.Schema] returns:
//
//	CREATE TABLE IF NOT EXISTS apikit_idempotency (
//	    key         text        PRIMARY KEY,
//	    fingerprint bytea       NOT NULL,
//	    owner       bytea       NOT NULL,
//	    completed   boolean     NOT NULL DEFAULT false,
//	    response    bytea,
//	    expires_at  timestamptz NOT NULL,
//	    scope       text        NOT NULL DEFAULT ''
//	);
//	ALTER TABLE apikit_idempotency ADD COLUMN IF NOT EXISTS scope text NOT NULL DEFAULT '';
//	CREATE INDEX IF NOT EXISTS apikit_idempotency_expires_at_idx ON apikit_idempotency (expires_at);
//	CREATE INDEX IF NOT EXISTS apikit_idempotency_scope_idx ON apikit_idempotency (scope, expires_at) WHERE scope <> '';
//
// scope is the part of the key before its first "/" (the caller's scope in
// the keys the middleware makes; empty for other keys): a scope may hold at
// most [WithMaxScopeEntries] live rows. A table made by an earlier version
// gains the column when Migrate runs again.
//
// key is the scoped key the middleware passes, stored as is unless it is
// longer than 512 bytes, is not valid UTF-8, contains NUL or starts with
// "sha256:"; such keys are stored as "sha256:" and the hex SHA-256 of the
// key. expires_at is the lease end while the request runs (completed is
// false) and the retention end once completed. A row whose expires_at has
// passed is treated exactly as no row.
//
// # Statements
//
// Each method is one statement, timed by the database (statement_timestamp(),
// never the application's clock), so a new key costs two round trips (Claim,
// then Complete) and a replay, a 409 or a 422 one. Claim is, leaving out
// the scope bound (a new key of a scope that holds WithMaxScopeEntries live
// rows first deletes the scope's completed row that expires first, skipping
// locked ones, or answers "scope full" when there is none),
//
//	WITH taken AS (                                        -- take over an expired row
//	    UPDATE t AS r SET fingerprint = $2, owner = $3, completed = false,
//	        response = NULL, expires_at = statement_timestamp() + $4 * interval '1 microsecond'
//	    WHERE r.key = $1 AND r.expires_at <= statement_timestamp()
//	    RETURNING 1
//	), inserted AS (                                       -- or insert an absent key
//	    INSERT INTO t (key, fingerprint, owner, completed, response, expires_at)
//	    SELECT $1, $2, $3, false, NULL, statement_timestamp() + $4 * interval '1 microsecond'
//	    WHERE NOT EXISTS (SELECT 1 FROM taken)
//	    ON CONFLICT (key) DO NOTHING
//	    RETURNING 1
//	)
//	SELECT 1, NULL, 0 FROM taken                           -- acquired
//	UNION ALL
//	SELECT 1, NULL, 0 FROM inserted                        -- acquired
//	UNION ALL
//	SELECT CASE WHEN e.fingerprint <> $2 THEN 4             -- mismatch
//	            WHEN e.completed THEN 3                     -- completed
//	            WHEN e.owner = $3 THEN 1 ELSE 2 END,        -- the same claim again / in progress
//	       <response if completed and matching>, <microseconds of lease left>
//	FROM t e
//	WHERE e.key = $1 AND e.expires_at > statement_timestamp()
//	  AND NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM inserted)
//
// A claim that does not acquire (a replay, a 409, a 422) neither writes
// nor locks: the UPDATE's condition rejects a live row before locking it,
// and ON CONFLICT DO NOTHING only notes the conflict. Its transaction never
// gets a transaction ID, so it commits without waiting for a WAL flush, and
// a lock held on the row (a Complete in flight, say) does not hold it up.
// Only acquiring writes: one row, inserted or taken over.
//
// The INSERT reads taken, so it runs after the UPDATE and only if the
// UPDATE changed nothing; the last SELECT returns the row as the
// statement's snapshot shows it, and only if neither wrote. The statement
// returns no row only if a concurrent claim committed the record after the
// snapshot was taken (it inserted the key, or took over the expired row,
// first); Claim then runs it again, at most five times in all, and the new
// snapshot sees that record. Complete, Extend and Release are an UPDATE or
// DELETE with WHERE key = $1 AND owner = $2 AND NOT completed AND
// expires_at > statement_timestamp(); touching no row means
// [idempotency.ErrNotOwner].
//
// # Cleanup
//
// Expired rows are never served but stay in the table until deleted.
// [Store.Cleanup] deletes them in batches (DELETE … WHERE key IN (SELECT key
// … WHERE expires_at <= statement_timestamp() LIMIT n FOR UPDATE SKIP
// LOCKED)), so that no statement holds many locks; [WithCleanup] runs it in
// a background goroutine that [Store.Close] stops.
//
// # Repeated calls
//
// Every method is safe to repeat: a claim resent by its owner (a client
// that lost the reply) is acquired again; Complete, Extend and Release
// sent twice change nothing the second time (ErrNotOwner after Complete and
// Release, which the middleware reports and ignores).
//
// # Deadlines
//
// Every statement runs under the store's timeout ([WithTimeout]) and its
// context. pgx interrupts a call whose context
// ends, but the server may still carry the statement out (for example once
// a lock it waited for is released): a context error does not say that
// nothing changed.
package idempg
