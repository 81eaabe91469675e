package pgstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apikit-go/apikit/idempotency/pgstore"
	"github.com/jackc/pgx/v5"
)

// The examples run against the PostgreSQL at APIKIT_POSTGRES_URL; without
// it they are skipped (see TestMain). A server passes a *pgxpool.Pool; the
// examples use a single *pgx.Conn, which satisfies pgstore.DB too.

func exampleConn() *pgx.Conn {
	conn, err := pgx.Connect(context.Background(), os.Getenv("APIKIT_POSTGRES_URL"))
	if err != nil {
		panic(err)
	}
	return conn
}

// exampleTable is a table name unique to one run.
func exampleTable() string {
	return "apikit_example_" + strings.ToLower(rand.Text()[:12])
}

func ExampleNew() {
	ctx := context.Background()
	conn := exampleConn()
	defer conn.Close(ctx)
	table := exampleTable()
	defer conn.Exec(ctx, "DROP TABLE IF EXISTS "+table)

	store, err := pgstore.New(conn, pgstore.WithTable(table))
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
	conn := exampleConn()
	defer conn.Close(context.Background())
	for _, name := range []string{"billing.idempotency_keys", "idempotency-keys"} {
		store, err := pgstore.New(conn, pgstore.WithTable(name))
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
	conn := exampleConn()
	defer conn.Close(context.Background())
	store, _ := pgstore.New(conn, pgstore.WithTable("idempotency_keys"))
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
	conn := exampleConn()
	defer conn.Close(ctx)
	table := exampleTable()
	defer conn.Exec(ctx, "DROP TABLE IF EXISTS "+table)
	store, _ := pgstore.New(conn, pgstore.WithTable(table))
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
	conn := exampleConn()
	defer conn.Close(ctx)
	table := exampleTable()
	defer conn.Exec(ctx, "DROP TABLE IF EXISTS "+table)

	// Delete expired rows every minute, 1000 per statement, until Close.
	// (In a server, pass a pool: a single *pgx.Conn must not be used by the
	// cleanup goroutine and requests at once.)
	store, err := pgstore.New(conn, pgstore.WithTable(table),
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
