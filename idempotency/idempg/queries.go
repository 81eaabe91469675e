package idempg

// Every statement reads the time from the database (statement_timestamp():
// one instant for the whole statement, never the application's clock).
// Durations are passed in microseconds as $n::bigint.

// claimSQL takes over the record if its expiry has passed (taken), inserts
// it if there is none (inserted), and otherwise returns the live record as
// the statement's snapshot shows it: outcome 1 acquired, 2 in progress
// (with the microseconds left), 3 completed (with the response), 4
// fingerprint mismatch. A live in-progress record held by owner $3 is
// acquired again: the same claim, resent by a client that lost the reply. Neither sub-statement writes or locks a live
// record: the UPDATE's condition rejects it before any lock is taken and
// the INSERT's conflict check finds it and does nothing, so the answers
// other than 1 are pure reads.
//
// The INSERT reads taken, so the UPDATE runs first and the INSERT runs
// only if it changed nothing; at most one of them touches a row, and the
// final read runs only if neither did, so at most one row comes back. It
// returns none only when a concurrent claim committed a record that this
// statement's snapshot cannot see (it inserted the key, or took over the
// expired row first); the caller then runs it again.
//
// A new key of a scope ($5, not empty) that already holds $6 live records
// first evicts the scope's record that expires first among its completed
// ones (skipping rows other statements hold locked); if there is none, the
// claim answers outcome 5 (scope full) and writes nothing.
//
// $1 key, $2 fingerprint, $3 owner, $4 lease (µs), $5 scope, $6 the most
// records a scope may hold.
const claimSQL = `WITH cur AS (
    SELECT 1 FROM %[1]s WHERE key = $1::text AND expires_at > statement_timestamp()
), live AS (
    SELECT count(*) AS n FROM (
        SELECT 1 FROM %[1]s
        WHERE $5::text <> '' AND scope = $5::text AND expires_at > statement_timestamp()
        LIMIT $6::bigint
    ) l
), evicted AS (
    DELETE FROM %[1]s
    WHERE key = (
        SELECT key FROM %[1]s
        WHERE scope = $5::text AND completed AND expires_at > statement_timestamp()
        ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED
    ) AND (SELECT n FROM live) >= $6::bigint AND NOT EXISTS (SELECT 1 FROM cur)
    RETURNING 1
), room AS (
    SELECT (SELECT n FROM live) < $6::bigint OR EXISTS (SELECT 1 FROM evicted) AS ok
), taken AS (
    UPDATE %[1]s AS r
    SET fingerprint = $2::bytea, owner = $3::bytea, completed = false, response = NULL, scope = $5::text,
        expires_at = statement_timestamp() + $4::bigint * interval '1 microsecond'
    WHERE r.key = $1::text AND r.expires_at <= statement_timestamp() AND (SELECT ok FROM room)
    RETURNING 1
), inserted AS (
    INSERT INTO %[1]s (key, fingerprint, owner, completed, response, expires_at, scope)
    SELECT $1::text, $2::bytea, $3::bytea, false, NULL, statement_timestamp() + $4::bigint * interval '1 microsecond', $5::text
    WHERE NOT EXISTS (SELECT 1 FROM taken) AND (SELECT ok FROM room)
    ON CONFLICT (key) DO NOTHING
    RETURNING 1
)
SELECT 1, NULL::bytea, 0::bigint FROM taken
UNION ALL
SELECT 1, NULL::bytea, 0::bigint FROM inserted
UNION ALL
SELECT 5, NULL::bytea, 0::bigint WHERE NOT (SELECT ok FROM room) AND NOT EXISTS (SELECT 1 FROM cur)
UNION ALL
SELECT CASE WHEN e.fingerprint <> $2::bytea THEN 4 WHEN e.completed THEN 3 WHEN e.owner = $3::bytea THEN 1 ELSE 2 END,
       CASE WHEN e.fingerprint = $2::bytea AND e.completed THEN coalesce(e.response, '') END,
       ceil(extract(epoch FROM e.expires_at - statement_timestamp()) * 1000000)::bigint
FROM %[1]s e
WHERE e.key = $1::text AND e.expires_at > statement_timestamp()
  AND NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM inserted)`

// ownedSQL is the condition shared by the owner-checked statements: the
// record is in progress, its lease has not run out, and owner holds it.
const ownedSQL = `key = $1 AND owner = $2::bytea AND NOT completed AND expires_at > statement_timestamp()`

// completeSQL: $1 key, $2 owner, $3 response, $4 retention (µs).
const completeSQL = `UPDATE %[1]s
SET completed = true, response = $3::bytea, expires_at = statement_timestamp() + $4::bigint * interval '1 microsecond'
WHERE ` + ownedSQL

// extendSQL: $1 key, $2 owner, $3 lease (µs).
const extendSQL = `UPDATE %[1]s
SET expires_at = statement_timestamp() + $3::bigint * interval '1 microsecond'
WHERE ` + ownedSQL

// releaseSQL: $1 key, $2 owner.
const releaseSQL = `DELETE FROM %[1]s WHERE ` + ownedSQL

// cleanupSQL deletes at most $1 expired records, skipping rows that other
// statements hold locked; the outer condition re-checks expiry in case a
// row was taken over meanwhile.
const cleanupSQL = `DELETE FROM %[1]s
WHERE key IN (
    SELECT key FROM %[1]s WHERE expires_at <= statement_timestamp()
    LIMIT $1 FOR UPDATE SKIP LOCKED
) AND expires_at <= statement_timestamp()`
