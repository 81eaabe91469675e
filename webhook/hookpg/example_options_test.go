package hookpg_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
	"github.com/jackc/pgx/v5/pgxpool"
)

// examplePool connects to the PostgreSQL of APIKIT_POSTGRES_URL.
func examplePool() *pgxpool.Pool {
	pool, err := pgxpool.New(context.Background(), os.Getenv("APIKIT_POSTGRES_URL"))
	if err != nil {
		panic(err)
	}
	return pool
}

// exampleTable returns a table name no other run uses.
func exampleTable() string {
	return fmt.Sprintf("apikit_example_%d", time.Now().UnixNano())
}

// New returns a store over a pool; Migrate creates its tables, and every
// Dispatcher of every replica can then share them.
func ExampleNew() {
	ctx := context.Background()
	pool := examplePool()
	defer pool.Close()
	table := exampleTable()
	store, err := hookpg.New(pool, hookpg.WithTable(table))
	if err != nil {
		panic(err)
	}
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}
	defer pool.Exec(ctx, "DROP TABLE "+table+", "+table+"_attempts, "+table+"_endpoints")

	d, err := webhook.New(store, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		panic(err)
	}
	id, err := d.Enqueue(ctx, webhook.Message{ID: "evt_1", Endpoint: "https://partner.example.com/hooks", Payload: []byte(`{}`)})
	if err != nil {
		panic(err)
	}
	m, err := d.Message(ctx, id)
	fmt.Println(m.ID, m.State, err)

	_, err = hookpg.New(nil)
	fmt.Println(err)
	// Output:
	// evt_1 pending <nil>
	// hookpg: nil pool
}

// WithTable names the store's tables, so that Dispatchers configured
// differently keep their messages apart. Schema shows what Migrate
// creates, for a migration tool.
func ExampleWithTable() {
	pool := examplePool()
	defer pool.Close()
	store, err := hookpg.New(pool, hookpg.WithTable("billing_webhook"))
	if err != nil {
		panic(err)
	}
	for _, line := range strings.Split(store.Schema(), "\n") {
		if strings.HasPrefix(line, "CREATE TABLE") {
			fmt.Println(line)
		}
	}
	_, err = hookpg.New(pool, hookpg.WithTable("billing-webhook"))
	fmt.Println(err)
	// Output:
	// CREATE TABLE IF NOT EXISTS "billing_webhook" (
	// CREATE TABLE IF NOT EXISTS "billing_webhook_attempts" (
	// CREATE TABLE IF NOT EXISTS "billing_webhook_endpoints" (
	// hookpg: table name "billing-webhook": not an identifier of ASCII letters, digits and underscores (not starting with a digit)
}

// WithTimeout bounds every statement, on top of the caller's deadline.
func ExampleWithTimeout() {
	pool := examplePool()
	defer pool.Close()
	store, _ := hookpg.New(pool, hookpg.WithTable(exampleTable()), hookpg.WithTimeout(time.Nanosecond))
	_, err := store.Message(context.Background(), "evt_1")
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	_, err = hookpg.New(pool, hookpg.WithTimeout(0))
	fmt.Println(err)
	// Output:
	// true
	// hookpg: WithTimeout(0s): want a positive duration
}
