// Package sigpg is a [signature.ReplayStore] kept in PostgreSQL (pgx v5),
// so that every replica of a service rejects a message another replica
// accepted.
//
//	package main
//
//	import (
//		"context"
//		"log"
//		"net/http"
//		"os"
//
//		"github.com/jackc/pgx/v5/pgxpool"
//
//		"github.com/apikit-go/apikit/signature"
//		"github.com/apikit-go/apikit/signature/sigpg"
//	)
//
//	func main() {
//		ctx := context.Background()
//		pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL")) // postgres://…
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer pool.Close()
//		store, err := sigpg.New(pool)
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer store.Close()
//		if err := store.Migrate(ctx); err != nil {
//			log.Fatal(err)
//		}
//		v, err := signature.NewVerifier(signature.StandardWebhooks(), []string{os.Getenv("WEBHOOK_SECRET")},
//			signature.WithReplayStore(store)) // a message accepted by one replica is refused by all
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer v.Close()
//		http.Handle("POST /webhooks", v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
//	}
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
