package hookpg_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
	"github.com/apikit-go/apikit/webhook/hooktest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMain skips the examples, which talk to a real PostgreSQL, when
// APIKIT_POSTGRES_URL is unset, the same way the tests skip themselves.
func TestMain(m *testing.M) {
	flag.Parse()
	hooktest.SkipExamplesWithout("APIKIT_POSTGRES_URL", "hookpg: examples skipped: "+howTo)
	os.Exit(m.Run())
}

// The outbox pattern: the business write and its webhook commit together,
// or neither does.
func ExampleWithTx() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("APIKIT_POSTGRES_URL"))
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	store, err := hookpg.New(pool, hookpg.WithTable("apikit_example_webhook"))
	if err != nil {
		panic(err)
	}
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}
	defer pool.Exec(ctx, "DROP TABLE apikit_example_webhook, apikit_example_webhook_attempts, apikit_example_webhook_endpoints")
	d, err := webhook.New(store, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
	if err != nil {
		panic(err)
	}

	for _, commit := range []bool{false, true} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			panic(err)
		}
		// ... the business write: tx.Exec(ctx, "UPDATE referrals ...") ...
		id, err := d.Enqueue(hookpg.WithTx(ctx, tx), webhook.Message{
			Endpoint: "https://partner.example.com/hooks",
			Type:     "referral.updated",
			Payload:  []byte(`{"referral":"ref_123"}`),
		})
		if err != nil {
			panic(err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			panic(err)
		}
		if m, err := d.Message(ctx, id); err != nil {
			fmt.Println("rolled back:", err)
		} else {
			fmt.Println("committed:", m.State)
		}
	}
	// Output:
	// rolled back: webhook: message not found
	// committed: pending
}
