package pgstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apikit-go/apikit/idempotency/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The examples run against the PostgreSQL at APIKIT_POSTGRES_URL; without
// it they are skipped (see TestMain). Like a server, they pass the store a
// *pgxpool.Pool.

func examplePool() *pgxpool.Pool {
	pool, err := pgxpool.New(context.Background(), os.Getenv("APIKIT_POSTGRES_URL"))
	if err != nil {
		panic(err)
	}
	return pool
}

// exampleTable is a table name unique to one run.
func exampleTable() string {
	return "apikit_example_" + strings.ToLower(rand.Text()[:12])
}

func ExampleNew() {
	ctx := context.Background()
	pool := examplePool()
	defer pool.Close()
	table := exampleTable()
	defer pool.Exec(ctx, "DROP TABLE IF EXISTS "+table)

	store, err := pgstore.New(pool, pgstore.WithTable(table))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	key := "tenant-1/POST /orders/key-1"
	c, _ := store.Claim(ctx, key, "fingerprint", "owner-a", 30*time.Second)
	fmt.Println("first:", c.Outcome)
	c, _ = store.Claim(ctx, key, "fingerprint", "owner-b", 30*time.Second)
	fmt.Println("while running:", c.Outcome, c.RetryAfter > 0)
	c, _ = store.Claim(ctx, key, "other request", "owner-b", 30*time.Second)
	fmt.Println("other request:", c.Outcome)
	_ = store.Complete(ctx, key, "owner-a", []byte("stored response"), 24*time.Hour)
	c, _ = store.Claim(ctx, key, "fingerprint", "owner-c", 30*time.Second)
	fmt.Printf("retry: %v %q\n", c.Outcome, c.Response)
	// Output:
	// first: acquired
	// while running: in-progress true
	// other request: mismatch
	// retry: completed "stored response"
}

func ExampleWithTable() {
	pool := examplePool()
	defer pool.Close()
	for _, name := range []string{"billing.idempotency_keys", "idempotency-keys"} {
		store, err := pgstore.New(pool, pgstore.WithTable(name))
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(store.Table())
	}
	// Output:
	// "billing"."idempotency_keys"
	// pgstore: table name "idempotency-keys": "idempotency-keys" is not an identifier of letters, digits and underscores (at most 63 bytes, not starting with a digit)
}

func ExampleStore_Schema() {
	pool := examplePool()
	defer pool.Close()
	store, _ := pgstore.New(pool, pgstore.WithTable("idempotency_keys"))
	fmt.Print(store.Schema())
	// Output:
	// CREATE TABLE IF NOT EXISTS "idempotency_keys" (
	//     key         text        PRIMARY KEY,
	//     fingerprint bytea       NOT NULL,
	//     owner       bytea       NOT NULL,
	//     completed   boolean     NOT NULL DEFAULT false,
	//     response    bytea,
	//     expires_at  timestamptz NOT NULL
	// );
	// CREATE INDEX IF NOT EXISTS "idempotency_keys_expires_at_idx" ON "idempotency_keys" (expires_at);
}

func ExampleStore_Cleanup() {
	ctx := context.Background()
	pool := examplePool()
	defer pool.Close()
	table := exampleTable()
	defer pool.Exec(ctx, "DROP TABLE IF EXISTS "+table)
	store, _ := pgstore.New(pool, pgstore.WithTable(table))
	_ = store.Migrate(ctx)

	// Three claims whose leases run out at once.
	for _, key := range []string{"a", "b", "c"} {
		_, _ = store.Claim(ctx, key, "fp", "owner", time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond)
	n, err := store.Cleanup(ctx, 2) // at most 2 rows per DELETE
	fmt.Println(n, err)
	// Output:
	// 3 <nil>
}

func ExampleWithCleanup() {
	ctx := context.Background()
	pool := examplePool()
	defer pool.Close()
	table := exampleTable()
	defer pool.Exec(ctx, "DROP TABLE IF EXISTS "+table)

	// Delete expired rows every minute, 1000 per statement, until Close.
	// The cleanup goroutine and the requests share the pool.
	store, err := pgstore.New(pool, pgstore.WithTable(table),
		pgstore.WithCleanup(time.Minute, 1000),
		pgstore.WithErrorHandler(func(err error) { fmt.Println("cleanup:", err) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(store.Migrate(ctx), store.Close())
	// Output:
	// <nil> <nil>
}
