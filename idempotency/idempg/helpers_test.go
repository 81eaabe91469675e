package idempg_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/apikit-go/apikit/idempotency/idemtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const howTo = "set APIKIT_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL store tests"

// TestMain skips the examples, which talk to a real PostgreSQL, when
// APIKIT_POSTGRES_URL is unset, the same way the tests skip themselves.
func TestMain(m *testing.M) {
	flag.Parse()
	idemtest.SkipExamplesWithout("APIKIT_POSTGRES_URL", "idempg: examples skipped: "+howTo)
	os.Exit(m.Run())
}

// counter counts the statements pgx runs (as a QueryTracer) and the
// network round trips of the connections it dialled (a round trip is a
// burst of writes followed by a read).
type counter struct {
	queries atomic.Int64
	trips   atomic.Int64
	mu      sync.Mutex
	sqls    []string
}

func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	c.queries.Add(1)
	c.mu.Lock()
	c.sqls = append(c.sqls, data.SQL)
	c.mu.Unlock()
	return ctx
}

func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements and round trips since the last call and
// resets both.
func (c *counter) take() (queries, trips int64) {
	c.mu.Lock()
	c.sqls = nil
	c.mu.Unlock()
	return c.queries.Swap(0), c.trips.Swap(0)
}

// tripConn counts round trips on one connection. pgx may read on a
// background goroutine while it writes, so its state is atomic.
type tripConn struct {
	net.Conn
	c       *counter
	writing atomic.Bool
}

func (t *tripConn) Write(p []byte) (int, error) {
	if t.writing.CompareAndSwap(false, true) {
		t.c.trips.Add(1)
	}
	return t.Conn.Write(p)
}

func (t *tripConn) Read(p []byte) (int, error) {
	t.writing.Store(false)
	return t.Conn.Read(p)
}

// newPool returns a *pgxpool.Pool for APIKIT_POSTGRES_URL, or skips the
// test. With a counter, every statement and round trip is counted.
func newPool(t testing.TB, cnt *counter) *pgxpool.Pool {
	t.Helper()
	return newPoolSize(t, cnt, 8)
}

// newPoolSize is newPool with size connections at most. The pool never
// pings a connection it hands out, so that the round trips counted are the
// store's own.
func newPoolSize(t testing.TB, cnt *counter, size int32) *pgxpool.Pool {
	t.Helper()
	url := os.Getenv("APIKIT_POSTGRES_URL")
	if url == "" {
		t.Skip(howTo)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("APIKIT_POSTGRES_URL: %v", err)
	}
	cfg.MaxConns = size
	cfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	if cnt != nil {
		cfg.ConnConfig.Tracer = cnt
		dial := cfg.ConnConfig.DialFunc
		cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &tripConn{Conn: conn, c: cnt}, nil
		}
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// testTable returns a table name unique to this run and drops the table
// when the test ends.
func testTable(t testing.TB, db *pgxpool.Pool) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "apikit_test_idem_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		_, _ = db.Exec(context.Background(), "DROP TABLE IF EXISTS "+name)
	})
	return name
}

// newStore returns a migrated store on its own table.
func newStore(t testing.TB, db *pgxpool.Pool, opts ...idempg.Option) *idempg.Store {
	t.Helper()
	s, err := idempg.New(db, append([]idempg.Option{idempg.WithTable(testTable(t, db))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
