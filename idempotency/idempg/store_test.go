package idempg_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/apikit-go/apikit/idempotency/idemtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	lease     = 10 * time.Second
	retention = time.Hour
)

// offline is a pool whose server cannot be reached; neither pgxpool nor
// New connects until a statement runs.
func offline(t *testing.T) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestTableNames(t *testing.T) {
	tests := []struct {
		name, table, want string // want "" means rejected
	}{
		{"default", "", `"apikit_idempotency"`},
		{"plain", "idem_keys", `"idem_keys"`},
		{"schema qualified", "billing.idem_keys", `"billing"."idem_keys"`},
		{"case kept", "IdemKeys", `"IdemKeys"`},
		{"longest", strings.Repeat("a", 48), `"` + strings.Repeat("a", 48) + `"`},
		{"too long for the index name", strings.Repeat("a", 49), ""},
		{"empty part", "billing.", ""},
		{"three parts", "a.b.c", ""},
		{"leading digit", "1idem", ""},
		{"quote", `idem"; DROP TABLE x; --`, ""},
		{"space", "idem keys", ""},
		{"dash", "idem-keys", ""},
		{"non ascii", "idém", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []idempg.Option
			if tt.table != "" {
				opts = append(opts, idempg.WithTable(tt.table))
			}
			s, err := idempg.New(offline(t), opts...)
			if tt.want == "" {
				if err == nil || !strings.HasPrefix(err.Error(), "idempg: table name") {
					t.Fatalf("err = %v, want a table name error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Table() != tt.want {
				t.Errorf("Table() = %s, want %s", s.Table(), tt.want)
			}
			if !strings.Contains(s.Schema(), "CREATE TABLE IF NOT EXISTS "+tt.want+" (") {
				t.Errorf("Schema() does not create %s:\n%s", tt.want, s.Schema())
			}
		})
	}
}

func TestNewRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name string
		db   idempg.DB
		opts []idempg.Option
	}{
		{"nil db", nil, nil},
		{"cleanup without batch", offline(t), []idempg.Option{idempg.WithCleanup(time.Second, 0)}},
		{"negative cleanup period", offline(t), []idempg.Option{idempg.WithCleanup(-time.Second, 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := idempg.New(tt.db, tt.opts...); err == nil || !strings.HasPrefix(err.Error(), "idempg: ") {
				t.Fatalf("err = %v, want an idempg error", err)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	db := newPool(t, nil)
	table := testTable(t, db)
	s, err := idempg.New(db, idempg.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	// Concurrent first migrations, then repeated ones: all succeed.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate %d: %v", i, err)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("repeated Migrate: %v", err)
	}

	var cols string
	if err := db.QueryRow(ctx, `SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_name = $1`, table).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	want := "key text, fingerprint bytea, owner bytea, completed boolean, response bytea, expires_at timestamp with time zone, scope text"
	if cols != want {
		t.Errorf("columns = %s, want %s", cols, want)
	}
	var indexdef string
	if err := db.QueryRow(ctx, `SELECT indexdef FROM pg_indexes WHERE tablename = $1 AND indexname = $2`,
		table, table+"_expires_at_idx").Scan(&indexdef); err != nil {
		t.Fatalf("expiry index: %v", err)
	}
	if !strings.Contains(indexdef, "(expires_at)") {
		t.Errorf("index = %s, want one on expires_at", indexdef)
	}
	// The store works on the migrated table.
	if c, err := s.Claim(ctx, "k", "f", "o", lease); err != nil || c.Outcome != idempotency.Acquired {
		t.Fatalf("claim after migrate: %v %v", c.Outcome, err)
	}
}

func TestMigrateSchemaQualified(t *testing.T) {
	ctx := context.Background()
	db := newPool(t, nil)
	schema := testTable(t, db) + "_schema"
	if _, err := db.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	s, err := idempg.New(db, idempg.WithTable(schema+".idem"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = 'idem'`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d indexes in %s, want 3 (primary key, expiry and scope)", n, schema)
	}
}

// expired inserts n rows whose expiry has passed and live rows that have
// not, straight into the table.
func insertRows(t *testing.T, db *pgxpool.Pool, s *idempg.Store, prefix string, n int, expired bool) {
	t.Helper()
	when := "statement_timestamp() + interval '1 hour'"
	if expired {
		when = "statement_timestamp() - interval '1 second'"
	}
	_, err := db.Exec(context.Background(), fmt.Sprintf(`INSERT INTO %s (key, fingerprint, owner, completed, response, expires_at)
		SELECT $1 || g, 'f', 'o', g %% 2 = 0, 'r', %s FROM generate_series(1, $2::int) g`, s.Table(), when), prefix, n)
	if err != nil {
		t.Fatal(err)
	}
}

func countRows(t *testing.T, db *pgxpool.Pool, s *idempg.Store) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM "+s.Table()).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCleanupBatches(t *testing.T) {
	tests := []struct {
		name           string
		expired, batch int
		wantStatements int64
	}{
		{"nothing expired", 0, 10, 1},
		{"fewer than a batch", 5, 10, 1},
		{"exactly one batch", 10, 10, 2},
		{"several batches", 25, 10, 3},
		{"batch of one", 3, 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cnt := &counter{}
			db := newPool(t, cnt)
			s := newStore(t, db)
			insertRows(t, db, s, "old", tt.expired, true)
			insertRows(t, db, s, "live", 4, false)
			cnt.take()
			n, err := s.Cleanup(context.Background(), tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			statements, _ := cnt.take()
			if n != int64(tt.expired) {
				t.Errorf("deleted %d rows, want %d", n, tt.expired)
			}
			if statements != tt.wantStatements {
				t.Errorf("%d statements, want %d", statements, tt.wantStatements)
			}
			if left := countRows(t, db, s); left != 4 {
				t.Errorf("%d rows left, want the 4 live ones", left)
			}
		})
	}
	t.Run("bad batch", func(t *testing.T) {
		s, _ := idempg.New(offline(t))
		if _, err := s.Cleanup(context.Background(), 0); err == nil {
			t.Fatal("Cleanup(0) succeeded")
		}
	})
}

func TestCleanupLoop(t *testing.T) {
	db := newPool(t, nil)
	var mu sync.Mutex
	var loopErrs []error
	table := newStore(t, db).Table() // migrated before the loop starts
	s, err := idempg.New(db, idempg.WithTable(strings.Trim(table, `"`)),
		idempg.WithCleanup(10*time.Millisecond, 7),
		idempg.WithErrorHandler(func(err error) {
			mu.Lock()
			loopErrs = append(loopErrs, err)
			mu.Unlock()
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	insertRows(t, db, s, "old", 30, true)
	insertRows(t, db, s, "live", 2, false)
	deadline := time.Now().Add(10 * time.Second)
	for countRows(t, db, s) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("background cleanup left %d rows", countRows(t, db, s))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Stopped: new expired rows stay.
	insertRows(t, db, s, "after", 3, true)
	time.Sleep(50 * time.Millisecond)
	if n := countRows(t, db, s); n != 5 {
		t.Errorf("%d rows after Close, want 5: the loop still runs", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(loopErrs) > 0 {
		t.Errorf("cleanup loop errors: %v", loopErrs)
	}
}

func TestOddKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, newPool(t, nil))
	long := strings.Repeat("k", 10000)
	keys := []string{long, long + "x", "bad utf8 \xff\xfe", "nul \x00 inside", "sha256:literal", "", "ünïcode"}
	owners := map[string]string{}
	for i, k := range keys {
		o := fmt.Sprintf("o%d", i)
		owners[k] = o
		c, err := s.Claim(ctx, k, "f", o, lease)
		if err != nil || c.Outcome != idempotency.Acquired {
			t.Fatalf("claim %q: %v %v", k[:min(len(k), 20)], c.Outcome, err)
		}
	}
	for i, k := range keys {
		if err := s.Complete(ctx, k, owners[k], []byte(fmt.Sprint(i)), retention); err != nil {
			t.Fatalf("complete %q: %v", k[:min(len(k), 20)], err)
		}
	}
	for i, k := range keys {
		c, err := s.Claim(ctx, k, "f", "again", lease)
		if err != nil || c.Outcome != idempotency.Completed || string(c.Response) != fmt.Sprint(i) {
			t.Fatalf("replay %q: %v %q %v, want response %d", k[:min(len(k), 20)], c.Outcome, c.Response, err, i)
		}
	}
}

func TestInvalidDurations(t *testing.T) {
	s, err := idempg.New(offline(t))
	if err != nil {
		t.Fatal(err)
	}
	idemtest.RunInvalidDurations(t, s, "idempg: ")
}

// ops calls each Store method (and Migrate and Cleanup) once and returns
// the errors by name.
func ops(ctx context.Context, s *idempg.Store) map[string]error {
	_, claimErr := s.Claim(ctx, "k", "f", "o", lease)
	_, cleanupErr := s.Cleanup(ctx, 10)
	return map[string]error{
		"claim":    claimErr,
		"extend":   s.Extend(ctx, "k", "o", lease),
		"complete": s.Complete(ctx, "k", "o", []byte("r"), retention),
		"release":  s.Release(ctx, "k", "o"),
		"migrate":  s.Migrate(ctx),
		"cleanup":  cleanupErr,
	}
}

func TestServerDown(t *testing.T) {
	s, err := idempg.New(offline(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, err := range ops(context.Background(), s) {
		if err == nil || errors.Is(err, idempotency.ErrNotOwner) || !strings.HasPrefix(err.Error(), "idempg: "+name) {
			t.Errorf("%s: err = %v, want an idempg connection error", name, err)
		}
	}
}

func TestContextDeadline(t *testing.T) {
	ctx := context.Background()
	db := newPool(t, nil)
	s := newStore(t, db)
	if c, err := s.Claim(ctx, "k", "f", "o", lease); err != nil || c.Outcome != idempotency.Acquired {
		t.Fatalf("claim: %v %v", c.Outcome, err)
	}
	// Another transaction locks the record, so every statement that writes
	// it waits until its context ends, and inserts another record without
	// committing, so a claim of that key waits too.
	conn, err := db.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT 1 FROM "+s.Table()+" WHERE key = 'k' FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+s.Table()+" VALUES ('pending', 'f', 'o', false, NULL, statement_timestamp() + interval '1 hour')"); err != nil {
		t.Fatal(err)
	}

	t.Run("deadline passes during the call", func(t *testing.T) {
		tests := []struct {
			name string
			op   func(ctx context.Context) error
		}{
			{"claim", func(ctx context.Context) error { _, err := s.Claim(ctx, "pending", "f", "o2", lease); return err }},
			{"extend", func(ctx context.Context) error { return s.Extend(ctx, "k", "o", lease) }},
			{"complete", func(ctx context.Context) error { return s.Complete(ctx, "k", "o", nil, retention) }},
			{"release", func(ctx context.Context) error { return s.Release(ctx, "k", "o") }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				defer cancel()
				if err := tt.op(ctx); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want context.DeadlineExceeded", err)
				}
			})
		}
	})
	t.Run("claim of the locked record answers at once", func(t *testing.T) {
		// A claim that does not acquire only reads, so a lock does not
		// hold it up.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := s.Claim(ctx, "k", "f", "o2", lease); err != nil || c.Outcome != idempotency.InProgress {
			t.Fatalf("claim: %v %v, want in-progress", c.Outcome, err)
		}
	})
	t.Run("context already done", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for name, err := range ops(ctx, s) {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: err = %v, want context.Canceled", name, err)
			}
		}
	})
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// The store works again once the lock is gone. (A statement whose
	// context ended may still have run on the server once it got the lock:
	// here the timed-out Release may have deleted the record.)
	c, err := s.Claim(ctx, "k", "f", "o3", lease)
	if err != nil || (c.Outcome != idempotency.InProgress && c.Outcome != idempotency.Acquired) {
		t.Fatalf("claim after the lock: %v %v", c.Outcome, err)
	}
}

// TestDatabaseClock shows that expiry follows the database's clock: a row
// whose expires_at is one second in the database's past is free even
// though its lease was only just granted by the application's reckoning.
func TestDatabaseClock(t *testing.T) {
	ctx := context.Background()
	db := newPool(t, nil)
	s := newStore(t, db)
	if _, err := s.Claim(ctx, "k", "f", "o1", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "UPDATE "+s.Table()+" SET expires_at = statement_timestamp() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Claim(ctx, "k", "f", "o2", lease); err != nil || c.Outcome != idempotency.Acquired {
		t.Fatalf("claim of an expired row: %v %v", c.Outcome, err)
	}
	if err := s.Complete(ctx, "k", "o1", nil, retention); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("stale complete: err = %v, want ErrNotOwner", err)
	}
}

func TestScopeFlood(t *testing.T) {
	pool := newPool(t, nil)
	idemtest.RunScopeFlood(t, newStore(t, pool, idempg.WithMaxScopeEntries(20)), 20)
}
