// Package sigpg is a [signature.ReplayStore] kept in PostgreSQL (pgx v5),
// so that every replica of a service rejects a message another replica
// accepted.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil { ... }
//	store, err := sigpg.New(pool)
//	if err != nil { ... }
//	defer store.Close()
//	if err := store.Migrate(ctx); err != nil { ... }
//	v, err := signature.NewVerifier(signature.StandardWebhooks(), secrets,
//		signature.WithReplayStore(store))
//
// The table (default apikit_signature_replay) holds one row per message:
//
//	key        text PRIMARY KEY  -- 43-character digest of the message id
//	token      text NOT NULL     -- the request that holds it
//	expires_at timestamptz NOT NULL
//
// with an index on expires_at. Reserving is one statement, INSERT … ON
// CONFLICT DO UPDATE … WHERE the row has expired or is held by the same
// token (so a repeated call is granted), RETURNING; releasing is one
// DELETE for the holder. Expired rows are judged by the database's clock
// and never block; a background cleanup deletes them ([WithCleanupInterval],
// [Store.Cleanup]).
package sigpg
