// Package hookpg is a [webhook.Store] kept in PostgreSQL (pgx v5), for
// services whose replicas share a database.
//
//	package main
//
//	import (
//		"context"
//		"log"
//		"os"
//
//		"github.com/jackc/pgx/v5/pgxpool"
//
//		"github.com/apikit-go/apikit/webhook"
//		"github.com/apikit-go/apikit/webhook/hookpg"
//	)
//
//	func main() {
//		ctx := context.Background()
//		pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL")) // postgres://…
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer pool.Close()
//		store, err := hookpg.New(pool)
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := store.Migrate(ctx); err != nil {
//			log.Fatal(err)
//		}
//		d, err := webhook.New(store, []string{os.Getenv("WEBHOOK_SECRET")})
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := d.Start(); err != nil {
//			log.Fatal(err)
//		}
//		defer d.Shutdown(ctx)
//
//		// The message commits with the business write, or not at all.
//		tx, err := pool.Begin(ctx)
//		if err != nil {
//			log.Fatal(err)
//		}
//		defer tx.Rollback(ctx)
//		if _, err := tx.Exec(ctx, "SELECT 1"); err != nil { // the business write
//			log.Fatal(err)
//		}
//		if _, err := d.Enqueue(hookpg.WithTx(ctx, tx), webhook.Message{
//			Endpoint: "https://partner.example.com/hooks", Type: "order.shipped", Payload: []byte(`{"order":"ord_1"}`),
//		}); err != nil {
//			log.Fatal(err)
//		}
//		if err := tx.Commit(ctx); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// The outbox pattern: pass a context from [WithTx] to
// [webhook.Dispatcher.Enqueue] and the message is inserted in the caller's
// transaction, so the business write and its webhook commit or roll back
// together; a rolled-back message is never sent.
//
//	tx, err := pool.Begin(ctx)
//	...
//	_, err = tx.Exec(ctx, "UPDATE referrals SET status = $1 WHERE id = $2", status, id)
//	...
//	_, err = d.Enqueue(hookpg.WithTx(ctx, tx), webhook.Message{...})
//	...
//	err = tx.Commit(ctx)
//
// Three tables (WithTable names the first; the others add "_attempts" and
// "_endpoints"): messages, their attempts, and disabled endpoints. A
// worker leases a message with one UPDATE whose subquery picks the
// earliest due row with FOR UPDATE SKIP LOCKED, so workers in any number
// of processes never wait for each other nor take the same message; the
// lease is the row's due time pushed to the lease's end plus a token that
// Finish and Release must present. Finish records the attempt, moves the
// message and disables its endpoint in one statement. Times are the
// dispatcher's, not the database's. Delivered messages are kept until
// [Store.DeleteDelivered] removes them (run it from a periodic job);
// pending messages and dead letters are never deleted. Two partial
// indexes on the dead letters, by the time they died and by endpoint,
// make each page of [webhook.Dispatcher.DeadLetters] an index range
// scan; Migrate adds them to tables made by an earlier version (on a big
// table, create them CONCURRENTLY first, as Store.Schema spells them).
package hookpg
