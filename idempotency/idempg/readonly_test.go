package idempg_test

import (
	"context"
	"crypto/rand"
	"strings"
	"sync"
	"testing"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idempg"
	"github.com/apikit-go/apikit/idempotency/idemtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rowVersion returns the xmin and xmax of key's row: xmin changes when the
// row is written (an UPDATE makes a new version), xmax when it is updated,
// deleted or only locked (SELECT … FOR UPDATE, ON CONFLICT DO UPDATE).
func rowVersion(t *testing.T, db *pgxpool.Pool, s *idempg.Store, key string) string {
	t.Helper()
	var xmin, xmax string
	if err := db.QueryRow(context.Background(), "SELECT xmin::text, xmax::text FROM "+s.Table()+" WHERE key = $1", key).Scan(&xmin, &xmax); err != nil {
		t.Fatalf("row %q: %v", key, err)
	}
	return "xmin " + xmin + ", xmax " + xmax
}

// claimInTx runs one claim inside a transaction of its own and reports
// whether the transaction was given a transaction ID, which PostgreSQL
// does on its first write or row lock and never for a read.
func claimInTx(t *testing.T, db *pgxpool.Pool, s *idempg.Store, key, fingerprint, owner string) (idempotency.Claim, bool) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	inTx, err := idempg.New(tx, idempg.WithTable(strings.Trim(s.Table(), `"`)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := inTx.Claim(ctx, key, fingerprint, owner, lease)
	if err != nil {
		t.Fatal(err)
	}
	var xid *string
	if err := tx.QueryRow(ctx, "SELECT pg_current_xact_id_if_assigned()::text").Scan(&xid); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return c, xid != nil
}

// TestClaimAnswersWithoutWriting shows that a claim which does not acquire
// the key (a replay, an in-progress answer, a mismatch) neither writes nor
// locks the row: its xmin and xmax stay as they were and its transaction
// is never given an ID, so it commits without waiting for a WAL flush. A
// claim that acquires (a new key, an expired row) does write, which shows
// that the checks can tell.
func TestClaimAnswersWithoutWriting(t *testing.T) {
	ctx := context.Background()
	db := newPool(t, nil)
	s := newStore(t, db)
	mustNil(t, idemtest.ClaimOutcome(s.Claim(ctx, "done", "f", "o1", lease))(idempotency.Acquired))
	mustNil(t, s.Complete(ctx, "done", "o1", []byte("response"), retention))
	mustNil(t, idemtest.ClaimOutcome(s.Claim(ctx, "running", "f", "o1", lease))(idempotency.Acquired))
	mustNil(t, idemtest.ClaimOutcome(s.Claim(ctx, "expired", "f", "o1", lease))(idempotency.Acquired))
	expire := func(key string) {
		if _, err := db.Exec(ctx, "UPDATE "+s.Table()+" SET expires_at = statement_timestamp() - interval '1 second' WHERE key = $1", key); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name        string
		key, fp     string
		prepare     func()
		want        idempotency.Outcome
		wantWritten bool
	}{
		{"replay", "done", "f", nil, idempotency.Completed, false},
		{"mismatch on a completed key", "done", "other", nil, idempotency.Mismatch, false},
		{"in progress", "running", "f", nil, idempotency.InProgress, false},
		{"mismatch on a running key", "running", "other", nil, idempotency.Mismatch, false},
		{"new key", "", "f", nil, idempotency.Acquired, true},
		{"expired row taken over", "expired", "f", func() { expire("expired") }, idempotency.Acquired, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.key
			if key == "" {
				key = "new-" + rand.Text()
			}
			if tt.prepare != nil {
				tt.prepare()
			}
			// Through the pool, as the middleware calls it.
			var before string
			if tt.key != "" {
				before = rowVersion(t, db, s, key)
			}
			c, err := s.Claim(ctx, key, tt.fp, "o2", lease)
			if err != nil || c.Outcome != tt.want {
				t.Fatalf("claim: %v %v, want %v", c.Outcome, err, tt.want)
			}
			if tt.key != "" {
				after := rowVersion(t, db, s, key)
				if changed := after != before; changed != tt.wantWritten {
					t.Errorf("row %s before the claim, %s after: changed = %v, want %v", before, after, changed, tt.wantWritten)
				}
			}
			// Inside a transaction, to see whether it was given an ID.
			if tt.prepare != nil {
				tt.prepare()
			}
			if tt.key == "" {
				key += "-tx"
			}
			c, wrote := claimInTx(t, db, s, key, tt.fp, "o3")
			if c.Outcome != tt.want {
				t.Fatalf("claim in a transaction: %v, want %v", c.Outcome, tt.want)
			}
			if wrote != tt.wantWritten {
				t.Errorf("claim in a transaction was given a transaction ID: %v, want %v", wrote, tt.wantWritten)
			}
		})
	}
}

// TestClaimRaces runs many concurrent claims of one key, round after round,
// in each state a claim can find: no row, an expired lease, an expired
// completed record, a record being released. Exactly one claim acquires
// (at most one when the release may come last), every other is told the
// key is in progress, and none fails: when a concurrent claim commits the
// record after a statement's snapshot was taken, the statement is run
// again (counted by the tracer, and logged).
func TestClaimRaces(t *testing.T) {
	const (
		rounds  = 15
		racers  = 12
		expired = "statement_timestamp() - interval '1 second'"
	)
	ctx := context.Background()
	cnt := &counter{}
	db := newPool(t, cnt)
	s := newStore(t, db)
	tests := []struct {
		name    string
		others  int // statements per round besides the claims
		prepare func(key string) (release func() error)
	}{
		{"no row", 0, func(string) func() error { return nil }},
		{"expired lease", 1, func(key string) func() error {
			if _, err := db.Exec(ctx, "INSERT INTO "+s.Table()+" VALUES ($1, 'fp', 'old', false, NULL, "+expired+")", key); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{"expired completed record", 1, func(key string) func() error {
			if _, err := db.Exec(ctx, "INSERT INTO "+s.Table()+" VALUES ($1, 'other', 'old', true, 'r', "+expired+")", key); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{"released while claimed", 2, func(key string) func() error {
			mustNil(t, idemtest.ClaimOutcome(s.Claim(ctx, key, "fp", "first", lease))(idempotency.Acquired))
			return func() error { return s.Release(ctx, key, "first") }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cnt.take()
			for round := range rounds {
				key := tt.name + "/" + rand.Text()
				release := tt.prepare(key)
				var (
					wg       sync.WaitGroup
					start    = make(chan struct{})
					outcomes = make([]idempotency.Outcome, racers)
					errs     = make([]error, racers+1)
				)
				for i := range racers {
					wg.Go(func() {
						<-start
						c, err := s.Claim(ctx, key, "fp", rand.Text(), lease)
						outcomes[i], errs[i] = c.Outcome, err
					})
				}
				if release != nil {
					wg.Go(func() { <-start; errs[racers] = release() })
				}
				close(start)
				wg.Wait()
				acquired := 0
				for i, o := range outcomes {
					if errs[i] != nil {
						t.Fatalf("round %d, racer %d: %v", round, i, errs[i])
					}
					switch o {
					case idempotency.Acquired:
						acquired++
					case idempotency.InProgress:
					default:
						t.Fatalf("round %d, racer %d: outcome %v, want acquired or in-progress", round, i, o)
					}
				}
				if errs[racers] != nil {
					t.Fatalf("round %d: release: %v", round, errs[racers])
				}
				if acquired > 1 || (release == nil && acquired != 1) {
					t.Fatalf("round %d: %d racers acquired the key, want exactly one (at most one with a release)", round, acquired)
				}
			}
			queries, _ := cnt.take()
			t.Logf("%d claims ran %d statements: %d re-runs", rounds*racers, queries, queries-int64(rounds*(racers+tt.others)))
		})
	}
}
