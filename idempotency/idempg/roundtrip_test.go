package idempg_test

import (
	"context"
	"testing"

	"github.com/apikit-go/apikit/idempotency/idemtest"
)

// TestRoundTrips counts statements (a pgx QueryTracer) and network round
// trips (the connection's write bursts) per operation, on a pool of one
// connection once every statement is prepared on it: a new key costs a
// claim and a complete, a replay, an in-progress answer and a mismatch one
// claim each (see idemtest.RunRoundTrips).
func TestRoundTrips(t *testing.T) {
	cnt := &counter{}
	s := newStore(t, newPoolSize(t, cnt, 1))
	idemtest.RunRoundTrips(t, s,
		idemtest.Count{Name: "statements", Take: func(*testing.T) int64 { return cnt.queries.Swap(0) }},
		idemtest.Count{Name: "round trips", Take: func(*testing.T) int64 { return cnt.trips.Swap(0) }})
}

// BenchmarkPostgres measures a new key (claim + complete) and a replay
// (claim) against SELECT 1, the cost of a single round trip.
func BenchmarkPostgres(b *testing.B) {
	ctx := context.Background()
	db := newPoolSize(b, nil, 1)
	s := newStore(b, db)
	b.Run("baseline=SELECT_1", func(b *testing.B) {
		b.ReportAllocs()
		var one int
		for b.Loop() {
			if err := db.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				b.Fatal(err)
			}
		}
	})
	idemtest.RunBenchmarks(b, s)
}
