package pgstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/idempotency"
)

// TestRoundTrips counts statements (a pgx QueryTracer) and network round
// trips (the connection's write bursts) per operation, once every statement
// is prepared on the connection: a new key costs a claim and a complete, a
// replay, an in-progress answer and a mismatch one claim each.
func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	cnt := &counter{}
	db := newPoolSize(t, cnt, 1)
	s := newStore(t, db)
	// Warm up the connection: pgx prepares each statement on first use (one
	// more round trip, once per connection).
	mustNil(t, expect(s.Claim(ctx, "warm", "f", "o", lease))(idempotency.Acquired))
	mustNil(t, s.Extend(ctx, "warm", "o", lease))
	mustNil(t, s.Release(ctx, "warm", "o"))
	mustNil(t, expect(s.Claim(ctx, "warm", "f", "o", lease))(idempotency.Acquired))
	mustNil(t, s.Complete(ctx, "warm", "o", nil, retention))
	mustNil(t, expect(s.Claim(ctx, "warm", "f", "o", lease))(idempotency.Completed))

	tests := []struct {
		name string
		op   func() error
		want int64
	}{
		{"new key: claim + complete", func() error {
			if err := expect(s.Claim(ctx, "k", "f", "o1", lease))(idempotency.Acquired); err != nil {
				return err
			}
			return s.Complete(ctx, "k", "o1", []byte("response"), retention)
		}, 2},
		{"replay", func() error { return expect(s.Claim(ctx, "k", "f", "o2", lease))(idempotency.Completed) }, 1},
		{"mismatch", func() error { return expect(s.Claim(ctx, "k", "other", "o2", lease))(idempotency.Mismatch) }, 1},
		{"extend", func() error {
			if err := expect(s.Claim(ctx, "k2", "f", "o1", lease))(idempotency.Acquired); err != nil {
				return err
			}
			cnt.take()
			return s.Extend(ctx, "k2", "o1", lease)
		}, 1},
		{"in progress", func() error { return expect(s.Claim(ctx, "k2", "f", "o2", lease))(idempotency.InProgress) }, 1},
		{"release", func() error { return s.Release(ctx, "k2", "o1") }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cnt.take()
			if err := tt.op(); err != nil {
				t.Fatal(err)
			}
			queries, trips := cnt.take()
			if queries != tt.want || trips != tt.want {
				t.Errorf("statements = %d, round trips = %d, want %d", queries, trips, tt.want)
			}
		})
	}
}

func expect(c idempotency.Claim, err error) func(idempotency.Outcome) error {
	return func(want idempotency.Outcome) error {
		if err != nil {
			return err
		}
		if c.Outcome != want {
			return fmt.Errorf("outcome %v, want %v", c.Outcome, want)
		}
		return nil
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkPostgres measures a new key (claim + complete) and a replay
// (claim) against SELECT 1, the cost of a single round trip.
func BenchmarkPostgres(b *testing.B) {
	ctx := context.Background()
	db := newPoolSize(b, nil, 1)
	s := newStore(b, db)
	resp := make([]byte, 512)

	b.Run("baseline=SELECT_1", func(b *testing.B) {
		b.ReportAllocs()
		var one int
		for b.Loop() {
			if err := db.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("claim+complete", func(b *testing.B) {
		b.ReportAllocs()
		run, i := rand.Text(), 0 // keys unique across -count runs
		for b.Loop() {
			key := run + strconv.Itoa(i)
			i++
			if _, err := s.Claim(ctx, key, "f", "o", lease); err != nil {
				b.Fatal(err)
			}
			if err := s.Complete(ctx, key, "o", resp, retention); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replay", func(b *testing.B) {
		key := "replay:" + rand.Text()
		if _, err := s.Claim(ctx, key, "f", "o", lease); err != nil {
			b.Fatal(err)
		}
		if err := s.Complete(ctx, key, "o", resp, retention); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			got, err := s.Claim(ctx, key, "f", "o2", lease)
			if err != nil || got.Outcome != idempotency.Completed {
				b.Fatal(got.Outcome, err)
			}
		}
	})
}
