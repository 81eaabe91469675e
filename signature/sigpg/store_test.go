package sigpg_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/signature/internal/replaytest"
	"github.com/apikit-go/apikit/signature/sigpg"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pool connects to APIKIT_POSTGRES_URL, or skips the test.
func pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := os.Getenv("APIKIT_POSTGRES_URL")
	if url == "" {
		t.Skip("set APIKIT_POSTGRES_URL (for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable) " +
			"to run the PostgreSQL tests; each uses a table of its own and drops it")
	}
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// newStore returns a migrated store on a table of its own, dropped at the
// end.
func newStore(t *testing.T, p *pgxpool.Pool, opts ...sigpg.Option) (*sigpg.Store, string) {
	t.Helper()
	table := "apikit_test_sig_" + strings.ToLower(rand.Text()[:12])
	s, err := sigpg.New(p, append([]sigpg.Option{sigpg.WithTable(table)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		_, _ = p.Exec(context.Background(), "DROP TABLE IF EXISTS "+table)
	})
	for range 2 { // idempotent
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s, table
}

func TestConformance(t *testing.T) {
	p := pool(t)
	replaytest.Run(t, func(t *testing.T) signature.ReplayStore {
		s, _ := newStore(t, p)
		return s
	})
}

func TestCleanup(t *testing.T) {
	p := pool(t)
	s, table := newStore(t, p, sigpg.WithCleanupInterval(0))
	ctx := context.Background()
	for i := range 2500 {
		until := time.Now().Add(-time.Second)
		if i%2 == 0 {
			until = time.Now().Add(time.Minute)
		}
		if _, err := p.Exec(ctx, "INSERT INTO "+table+" VALUES ($1, 't', $2)", rand.Text(), until); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Cleanup(ctx)
	if err != nil || n != 1250 {
		t.Fatalf("Cleanup = %d, %v; want 1250", n, err)
	}
	var left int
	if err := p.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&left); err != nil || left != 1250 {
		t.Fatalf("left %d, %v", left, err)
	}
}

// Rows are of fixed size whatever the message id: the key is a digest.
func TestRowSize(t *testing.T) {
	p := pool(t)
	s, table := newStore(t, p)
	secret := signature.NewSecret()
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{secret}, signature.WithReplayStore(s))
	sg, _ := signature.NewSigner(signature.StandardWebhooks(), []string{secret})
	for _, id := range []string{"m", strings.Repeat("x", 256)} {
		h := map[string][]string{}
		_ = sg.Sign(h, id, time.Now(), []byte("{}"))
		if _, err := v.Verify(context.Background(), h, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := p.Query(context.Background(), "SELECT length(key), length(token), expires_at FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var kl, tl int
		var exp time.Time
		if err := rows.Scan(&kl, &tl, &exp); err != nil {
			t.Fatal(err)
		}
		if kl != 43 || tl != 26 || time.Until(exp) > 5*time.Minute || time.Until(exp) < 4*time.Minute {
			t.Fatalf("row: key %d, token %d, expires in %v", kl, tl, time.Until(exp))
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d rows", n)
	}
}

func TestOptions(t *testing.T) {
	p, err := pgxpool.New(context.Background(), "postgres://u@127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, o := range []sigpg.Option{sigpg.WithTable("a;b"), sigpg.WithTable("a.b.c"), sigpg.WithTable(""), sigpg.WithTimeout(0)} {
		if _, err := sigpg.New(p, o); err == nil {
			t.Fatal("bad option accepted")
		}
	}
	if _, err := sigpg.New(nil); err == nil {
		t.Fatal("nil pool accepted")
	}
	s, err := sigpg.New(p, sigpg.WithTimeout(300*time.Millisecond), sigpg.WithCleanupInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := s.Reserve(context.Background(), "k", "t", time.Now().Add(time.Minute)); err == nil {
		t.Fatal("no error without a database")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
}
