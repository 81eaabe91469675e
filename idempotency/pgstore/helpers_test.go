package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/apikit-go/apikit/idempotency/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const howTo = "set APIKIT_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL store tests"

// TestMain skips the examples, which talk to a real PostgreSQL, when
// APIKIT_POSTGRES_URL is unset, the same way the tests skip themselves.
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("APIKIT_POSTGRES_URL") == "" {
		skip := "^Example"
		if cur := flag.Lookup("test.skip").Value.String(); cur != "" {
			skip = cur + "|" + skip
		}
		_ = flag.Set("test.skip", skip)
		fmt.Fprintln(os.Stderr, "pgstore: examples skipped: "+howTo)
	}
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

type tripConn struct {
	net.Conn
	c       *counter
	writing bool
}

func (t *tripConn) Write(p []byte) (int, error) {
	if !t.writing {
		t.writing = true
		t.c.trips.Add(1)
	}
	return t.Conn.Write(p)
}

func (t *tripConn) Read(p []byte) (int, error) {
	t.writing = false
	return t.Conn.Read(p)
}

// pool is a minimal connection pool for the tests: the root module does
// not carry pgxpool's own dependency (jackc/puddle), and the store only
// needs Exec and QueryRow, which *pgxpool.Pool provides with the same
// signatures.
type pool struct {
	cfg   *pgx.ConnConfig
	slots chan *pgx.Conn // nil: not connected yet
}

var _ pgstore.DB = (*pool)(nil)

func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	var c *pgx.Conn
	select {
	case c = <-p.slots:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if c == nil || c.IsClosed() {
		var err error
		if c, err = pgx.ConnectConfig(ctx, p.cfg); err != nil {
			p.slots <- nil
			return nil, err
		}
	}
	return c, nil
}

func (p *pool) release(c *pgx.Conn) { p.slots <- c }

func (p *pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer p.release(c)
	return c.Exec(ctx, sql, args...)
}

func (p *pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c, err := p.acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	return &poolRow{row: c.QueryRow(ctx, sql, args...), done: func() { p.release(c) }}
}

func (p *pool) Close() {
	for range cap(p.slots) {
		if c := <-p.slots; c != nil {
			_ = c.Close(context.Background())
		}
	}
}

type poolRow struct {
	row  pgx.Row
	done func()
}

func (r *poolRow) Scan(dest ...any) error {
	defer r.done()
	return r.row.Scan(dest...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// newPool returns a pool for APIKIT_POSTGRES_URL, or skips the test. With
// a counter, every statement and round trip is counted.
func newPool(t testing.TB, cnt *counter) *pool {
	t.Helper()
	return newPoolSize(t, cnt, 8)
}

// newPoolSize is newPool with size connections at most.
func newPoolSize(t testing.TB, cnt *counter, size int) *pool {
	t.Helper()
	url := os.Getenv("APIKIT_POSTGRES_URL")
	if url == "" {
		t.Skip(howTo)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatalf("APIKIT_POSTGRES_URL: %v", err)
	}
	if cnt != nil {
		cfg.Tracer = cnt
		dial := cfg.DialFunc
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &tripConn{Conn: conn, c: cnt}, nil
		}
	}
	p := &pool{cfg: cfg, slots: make(chan *pgx.Conn, size)}
	for range cap(p.slots) {
		p.slots <- nil
	}
	t.Cleanup(p.Close)
	return p
}

// testTable returns a table name unique to this run and drops the table
// when the test ends.
func testTable(t testing.TB, db *pool) string {
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
func newStore(t testing.TB, db *pool, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(db, append([]pgstore.Option{pgstore.WithTable(testTable(t, db))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
