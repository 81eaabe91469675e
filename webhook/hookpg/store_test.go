package hookpg_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

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

// newStore returns a migrated store on tables unique to the test, dropped
// when it ends.
func newStore(t testing.TB, pool *pgxpool.Pool) *hookpg.Store {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "apikit_test_hook_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, _ = pool.Exec(context.Background(), "DROP TABLE IF EXISTS "+name+", "+name+"_attempts, "+name+"_endpoints")
	})
	s, err := hookpg.New(pool, hookpg.WithTable(name))
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
