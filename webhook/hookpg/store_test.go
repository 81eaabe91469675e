package hookpg_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
	"github.com/apikit-go/apikit/webhook/hooktest"
	"github.com/jackc/pgx/v5/pgxpool"
)

const howTo = "set APIKIT_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL store tests"

// newPool returns a pool for APIKIT_POSTGRES_URL, or skips the test.
func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := os.Getenv("APIKIT_POSTGRES_URL")
	if url == "" {
		t.Skip(howTo)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("APIKIT_POSTGRES_URL: %v", err)
	}
	cfg.MaxConns = 20
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// testTable returns a table name unique to the test; its tables are
// dropped when the test ends.
func testTable(t testing.TB, pool *pgxpool.Pool) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "apikit_test_hook_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+name+", "+name+"_attempts, "+name+"_endpoints")
	})
	return name
}

// newStore returns a migrated store on tables unique to the test, dropped
// when it ends.
func newStore(t testing.TB, pool *pgxpool.Pool) *hookpg.Store {
	t.Helper()
	s, err := hookpg.New(pool, hookpg.WithTable(testTable(t, pool)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	pool := newPool(t)
	hooktest.Run(t, func(t *testing.T) webhook.Store { return newStore(t, pool) })
}

// TestLongestEndpoint: an endpoint of webhook.MaxEndpointLength bytes that
// does not compress fits every index of the schema: enqueued, disabled,
// listed as a dead letter. (A PostgreSQL index entry holds at most 2,704
// bytes: an endpoint of 3,000 fails its INSERT with SQLSTATE 54000, which
// is why Enqueue refuses longer ones.)
func TestLongestEndpoint(t *testing.T) {
	s := newStore(t, newPool(t))
	ctx := context.Background()
	base := "https://hooks.example.com/"
	random := make([]byte, (webhook.MaxEndpointLength-len(base))/2)
	_, _ = rand.Read(random)
	endpoint := base + hex.EncodeToString(random)
	if len(endpoint) != webhook.MaxEndpointLength {
		t.Fatalf("endpoint of %d bytes", len(endpoint))
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if ok, err := s.Enqueue(ctx, webhook.Message{ID: "msg_long", Endpoint: endpoint, Payload: []byte(`{}`), CreatedAt: at, NextAt: at}); err != nil || !ok {
		t.Fatalf("Enqueue = %v, %v", ok, err)
	}
	if _, ok, err := s.Lease(ctx, webhook.LeaseRequest{Now: at, Until: at.Add(time.Minute), Token: "tok"}); err != nil || !ok {
		t.Fatalf("Lease = %v, %v", ok, err)
	}
	res := webhook.Result{Attempt: webhook.Attempt{Number: 1, At: at, Status: 500}, State: webhook.Dead, NextAt: at, Failures: 1}
	if err := s.Finish(ctx, "msg_long", "tok", res); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEndpointDisabled(ctx, endpoint, true); err != nil {
		t.Fatal(err)
	}
	if off, err := s.EndpointDisabled(ctx, endpoint); err != nil || !off {
		t.Fatalf("EndpointDisabled = %v, %v", off, err)
	}
	dead, err := s.DeadLetters(ctx, webhook.DeadQuery{Endpoint: endpoint, Limit: 10})
	if err != nil || len(dead) != 1 || dead[0].ID != "msg_long" {
		t.Fatalf("DeadLetters = %v, %v", dead, err)
	}
}
