package pgstore

// Every statement reads the time from the database (statement_timestamp():
// one instant for the whole statement, never the application's clock).
// Durations are passed in microseconds as $n::bigint.

// claimSQL takes over the record if its expiry has passed (taken), inserts
// it if there is none (inserted), and otherwise returns the live record as
// the statement's snapshot shows it: outcome 1 acquired, 2 in progress
// (with the microseconds left), 3 completed (with the response), 4
// fingerprint mismatch. Neither sub-statement writes or locks a live
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
// $1 key, $2 fingerprint, $3 owner, $4 lease (µs).
const claimSQL = `WITH taken AS (
    UPDATE %[1]s AS r
    SET fingerprint = $2::bytea, owner = $3::bytea, completed = false, response = NULL,
        expires_at = statement_timestamp() + $4::bigint * interval '1 microsecond'
    WHERE r.key = $1::text AND r.expires_at <= statement_timestamp()
    RETURNING 1
), inserted AS (
    INSERT INTO %[1]s (key, fingerprint, owner, completed, response, expires_at)
    SELECT $1::text, $2::bytea, $3::bytea, false, NULL, statement_timestamp() + $4::bigint * interval '1 microsecond'
    WHERE NOT EXISTS (SELECT 1 FROM taken)
    ON CONFLICT (key) DO NOTHING
    RETURNING 1
)
SELECT 1, NULL::bytea, 0::bigint FROM taken
UNION ALL
SELECT 1, NULL::bytea, 0::bigint FROM inserted
UNION ALL
SELECT CASE WHEN e.fingerprint <> $2::bytea THEN 4 WHEN e.completed THEN 3 ELSE 2 END,
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
