package sigpg_test

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/signature/internal/replaytest"
	"github.com/apikit-go/apikit/signature/sigpg"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMain skips the examples, which talk to a real PostgreSQL, when
// APIKIT_POSTGRES_URL is unset, as the tests skip themselves.
func TestMain(m *testing.M) {
	flag.Parse()
	replaytest.SkipExamplesWithout("APIKIT_POSTGRES_URL",
		"sigpg: examples skipped: set APIKIT_POSTGRES_URL (for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them")
	os.Exit(m.Run())
}

// exampleStore opens a migrated store on a table of its own; drop removes
// the table.
func exampleStore(opts ...sigpg.Option) (store *sigpg.Store, table string, drop func()) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("APIKIT_POSTGRES_URL"))
	if err != nil {
		panic(err)
	}
	table = "example_sig_" + strings.ToLower(rand.Text()[:10])
	store, err = sigpg.New(pool, append([]sigpg.Option{sigpg.WithTable(table)}, opts...)...)
	if err != nil {
		panic(err)
	}
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}
	return store, table, func() {
		_ = store.Close()
		_, _ = pool.Exec(ctx, "DROP TABLE "+table)
		pool.Close()
	}
}

// Two replicas share one table: a message one of them accepted is a
// replay for the other.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("APIKIT_POSTGRES_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	table := "example_sig_" + strings.ToLower(rand.Text()[:10])
	store, err := sigpg.New(pool, sigpg.WithTable(table))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Exec(ctx, "DROP TABLE "+table)

	secret := signature.NewSecret()
	replica1, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{secret}, signature.WithReplayStore(store))
	replica2, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{secret}, signature.WithReplayStore(store))
	signer, _ := signature.NewSigner(signature.StandardWebhooks(), []string{secret})
	h := http.Header{}
	_ = signer.Sign(h, "msg_1", time.Now(), []byte(`{}`))
	m, err := replica1.Verify(ctx, h, []byte(`{}`))
	fmt.Println(m.ID, err)
	_, err = replica2.Verify(ctx, h, []byte(`{}`))
	fmt.Println(err)
	// Output:
	// msg_1 <nil>
	// problem: auth/replayed-request (401): A message with this id was already accepted
}

func ExampleStore_Migrate() {
	store, _, drop := exampleStore()
	defer drop()
	fmt.Println(store.Migrate(context.Background())) // again: nothing to do
	// Output: <nil>
}

func ExampleStore_Reserve() {
	store, _, drop := exampleStore()
	defer drop()
	ctx := context.Background()
	until := time.Now().Add(5 * time.Minute)
	first, _ := store.Reserve(ctx, "key-1", "request-a", until)
	repeated, _ := store.Reserve(ctx, "key-1", "request-a", until) // sent again after a timeout
	other, _ := store.Reserve(ctx, "key-1", "request-b", until)
	fmt.Println(first, repeated, other)
	// Output: true true false
}

func ExampleStore_Release() {
	store, _, drop := exampleStore()
	defer drop()
	ctx := context.Background()
	until := time.Now().Add(5 * time.Minute)
	_, _ = store.Reserve(ctx, "key-1", "request-a", until)
	_ = store.Release(ctx, "key-1", "request-a") // the request failed
	again, _ := store.Reserve(ctx, "key-1", "request-b", until)
	fmt.Println(again)
	// Output: true
}

func ExampleStore_Cleanup() {
	store, _, drop := exampleStore(sigpg.WithCleanupInterval(0))
	defer drop()
	ctx := context.Background()
	_, _ = store.Reserve(ctx, "key-1", "request-a", time.Now().Add(-time.Second)) // already expired
	_, _ = store.Reserve(ctx, "key-2", "request-a", time.Now().Add(time.Minute))
	n, err := store.Cleanup(ctx)
	fmt.Println(n, err)
	// Output: 1 <nil>
}

func ExampleStore_Close() {
	store, _, drop := exampleStore(sigpg.WithCleanupInterval(time.Minute))
	defer drop()
	fmt.Println(store.Close()) // stops the background cleanup
	// Output: <nil>
}

func ExampleWithTable() {
	_, table, drop := exampleStore()
	defer drop()
	fmt.Println(strings.HasPrefix(table, "example_sig_"))
	// Output: true
}

func ExampleWithTimeout() {
	store, _, drop := exampleStore(sigpg.WithTimeout(500 * time.Millisecond))
	defer drop()
	ok, err := store.Reserve(context.Background(), "key-1", "request-a", time.Now().Add(time.Minute))
	fmt.Println(ok, err)
	// Output: true <nil>
}

func ExampleWithCleanupInterval() {
	store, _, drop := exampleStore(sigpg.WithCleanupInterval(10 * time.Millisecond))
	defer drop()
	ctx := context.Background()
	_, _ = store.Reserve(ctx, "key-1", "request-a", time.Now().Add(-time.Second))
	time.Sleep(100 * time.Millisecond)
	n, _ := store.Cleanup(ctx) // the background cleanup got there first
	fmt.Println(n)
	// Output: 0
}
