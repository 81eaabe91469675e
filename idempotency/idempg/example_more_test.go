package idempg_test

import (
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
