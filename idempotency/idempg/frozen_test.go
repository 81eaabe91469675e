package idempg_test

import (
	"context"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/apikit-go/apikit/idempotency/idemtest"
	"github.com/apikit-go/apikit/internal/faultproxy"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMiddlewareOnFrozenServer: a PostgreSQL server that stops answering
// in the middle of the claim (a frozen host, a network partition) costs a
// keyed request the middleware's store timeout (idemtest.RunFrozenServer).
// The table is made directly; only the store's own connections go through
// a proxy, which then forwards nothing.
func TestMiddlewareOnFrozenServer(t *testing.T) {
	raw := os.Getenv("APIKIT_POSTGRES_URL")
	if raw == "" {
		t.Skip(howTo)
	}
	direct := newPool(t, nil)
	table := testTable(t, direct)
	migrator, err := idempg.New(direct, idempg.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	defer migrator.Close()
	if err := migrator.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}

	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.New(t, net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))), 0)
	host, port, _ := net.SplitHostPort(p.Addr())
	n, _ := strconv.Atoi(port)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = host, uint16(n)
	cfg.ConnConfig.Fallbacks = nil
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(context.Background()); err != nil { // a connection opened before the freeze
		t.Fatal(err)
	}
	s, err := idempg.New(pool, idempg.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idemtest.RunFrozenServer(t, s, p.Freeze.Store)
}
