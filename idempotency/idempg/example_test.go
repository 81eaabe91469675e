package idempg_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idempg"
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

// ExampleNew creates the table once (Migrate) and shares the store
// between the idempotency middleware of every replica.
func ExampleNew() {
	ctx := context.Background()
	pool := examplePool()
	defer pool.Close()
	table := exampleTable()
	defer pool.Exec(ctx, "DROP TABLE IF EXISTS "+table)

	store, err := idempg.New(pool, idempg.WithTable(table))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := store.Migrate(ctx); err != nil { // or apply store.Schema() with your migrations
		fmt.Println(err)
		return
	}
	m, err := idempotency.New(store)
	if err != nil {
		fmt.Println(err)
		return
	}
	orders := 0
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orders++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"order":%d}`, orders)
	}))
	send := func(body string) string {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer partner-1")
		r.Header.Set("Idempotency-Key", "order-42")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return fmt.Sprintf("%d replayed=%s", w.Code, w.Header().Get(idempotency.ReplayedHeader))
	}
	fmt.Println("first:", send(`{"sku":"a"}`))
	fmt.Println("retry:", send(`{"sku":"a"}`))
	fmt.Println("other request:", send(`{"sku":"b"}`))

	var completed bool
	err = pool.QueryRow(ctx, "SELECT completed FROM "+store.Table()).Scan(&completed)
	fmt.Println("orders:", orders, "row completed:", completed, err)
	// Output:
	// first: 201 replayed=
	// retry: 201 replayed=true
	// other request: 422 replayed=
	// orders: 1 row completed: true <nil>
}

func ExampleWithTable() {
	pool := examplePool()
	defer pool.Close()
	for _, name := range []string{"billing.idempotency_keys", "idempotency-keys"} {
		store, err := idempg.New(pool, idempg.WithTable(name))
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(store.Table())
	}
	// Output:
	// "billing"."idempotency_keys"
	// idempg: table name "idempotency-keys": "idempotency-keys" is not an identifier of ASCII letters, digits and underscores (at most 63 bytes, not starting with a digit); want table or schema.table
}

func ExampleStore_Schema() {
	pool := examplePool()
	defer pool.Close()
	store, _ := idempg.New(pool, idempg.WithTable("idempotency_keys"))
	fmt.Print(store.Schema())
	// Output:
	// CREATE TABLE IF NOT EXISTS "idempotency_keys" (
	//     key         text        PRIMARY KEY,
	//     fingerprint bytea       NOT NULL,
	//     owner       bytea       NOT NULL,
	//     completed   boolean     NOT NULL DEFAULT false,
	//     response    bytea,
	//     expires_at  timestamptz NOT NULL,
	//     scope       text        NOT NULL DEFAULT ''
	// );
	// ALTER TABLE "idempotency_keys" ADD COLUMN IF NOT EXISTS scope text NOT NULL DEFAULT '';
	// CREATE INDEX IF NOT EXISTS "idempotency_keys_expires_at_idx" ON "idempotency_keys" (expires_at);
	// CREATE INDEX IF NOT EXISTS "idempotency_keys_scope_idx" ON "idempotency_keys" (scope, expires_at) WHERE scope <> '';
}

func ExampleStore_Cleanup() {
	ctx := context.Background()
	pool := examplePool()
	defer pool.Close()
	table := exampleTable()
	defer pool.Exec(ctx, "DROP TABLE IF EXISTS "+table)
	store, _ := idempg.New(pool, idempg.WithTable(table))
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
	store, err := idempg.New(pool, idempg.WithTable(table),
		idempg.WithCleanup(time.Minute, 1000),
		idempg.WithErrorHandler(func(err error) { fmt.Println("cleanup:", err) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(store.Migrate(ctx), store.Close())
	// Output:
	// <nil> <nil>
}
