package idempg_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/jackc/pgx/v5/pgconn"
)

// ExampleWithErrorHandler sees the background cleanup fail: the table was
// never migrated, so each run's DELETE fails and is reported.
func ExampleWithErrorHandler() {
	pool := examplePool()
	defer pool.Close()

	failures := make(chan error, 1)
	store, err := idempg.New(pool, idempg.WithTable(exampleTable()), // not migrated
		idempg.WithCleanup(10*time.Millisecond, 1000),
		idempg.WithErrorHandler(func(err error) {
			select {
			case failures <- err: // a real service would log it
			default:
			}
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	err = <-failures
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		fmt.Println("cleanup failed:", pgErr.Code) // 42P01: undefined_table
	} else {
		fmt.Println(err)
	}
	// Output: cleanup failed: 42P01
}

func ExampleWithTimeout() {
	pool := examplePool()
	defer pool.Close()
	store, err := idempg.New(pool, idempg.WithTimeout(500*time.Millisecond))
	fmt.Println(store != nil, err)
	_, err = idempg.New(pool, idempg.WithTimeout(0))
	fmt.Println(err)
	// Output:
	// true <nil>
	// idempg: WithTimeout(0s): want a positive duration
}

func ExampleWithMaxScopeEntries() {
	ctx := context.Background()
	pool := examplePool()
	defer pool.Close()
	table := exampleTable()
	defer pool.Exec(ctx, "DROP TABLE IF EXISTS "+table)
	store, err := idempg.New(pool, idempg.WithTable(table), idempg.WithMaxScopeEntries(2))
	if err != nil {
		panic(err)
	}
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}
	// Keys of the middleware's form: scope/id.
	for _, key := range []string{"tenant-1/a", "tenant-1/b", "tenant-1/c"} {
		_, _ = store.Claim(ctx, key, "fp", "owner", 30*time.Second)
		_ = store.Complete(ctx, key, "owner", []byte("response"), time.Hour)
	}
	for _, key := range []string{"tenant-1/a", "tenant-1/c"} {
		c, _ := store.Claim(ctx, key, "fp", "owner-2", 30*time.Second)
		fmt.Println(key, c.Outcome)
	}
	// Output:
	// tenant-1/a acquired
	// tenant-1/c completed
}
