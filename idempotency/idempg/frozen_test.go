package idempg_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/apikit-go/apikit/internal/faultproxy"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestMiddlewareOnFrozenServer: a PostgreSQL server that stops answering
// in the middle of the claim (a frozen host, a network partition) costs a
// keyed request the middleware's store timeout: a 503 with Retry-After,
// and the handler does not run. The table is made directly; only the
// store's own connections go through a proxy, which then forwards nothing.
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
	m, err := idempotency.New(s, idempotency.WithStoreTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int64
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { runs.Add(1) }))

	p.Freeze.Store(true)
	defer p.Freeze.Store(false)
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("{}"))
	r.Header.Set("Authorization", "Bearer partner-1")
	r.Header.Set("Idempotency-Key", "k")
	w := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(w, r)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("answered after %v; want about the 100ms store timeout", d)
	}
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if runs.Load() != 0 {
		t.Fatal("the handler ran although the claim did not answer")
	}
}
