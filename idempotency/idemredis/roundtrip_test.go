package idemredis_test

import (
	"context"
	"testing"

	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/idempotency/idemtest"
)

// TestRoundTrips counts the commands the store sends: a new key costs a
// claim and a complete, a replay, an in-progress answer and a mismatch one
// claim each (see idemtest.RunRoundTrips).
func TestRoundTrips(t *testing.T) {
	cnt := &counter{}
	c := newClient(t, cnt)
	s := mustNew(c, idemredis.WithPrefix(testPrefix(t, c)))
	idemtest.RunRoundTrips(t, s, idemtest.Count{Name: "round trips", Take: func(t *testing.T) int64 {
		cnt.mu.Lock()
		names := cnt.names
		cnt.mu.Unlock()
		trips, noScripts := cnt.take()
		t.Logf("commands: %v", names)
		if noScripts > 0 {
			t.Logf("%d EVALSHA answered NOSCRIPT (another client flushed the script cache) and were not counted", noScripts)
		}
		return int64(trips)
	}})
}

// BenchmarkRedis measures a new key (claim + complete) and a replay
// (claim) against one GET, the cost of a single round trip.
func BenchmarkRedis(b *testing.B) {
	ctx := context.Background()
	c := newClient(b)
	prefix := testPrefix(b, c)
	s := mustNew(c, idemredis.WithPrefix(prefix))
	b.Run("baseline=GET", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.Get(ctx, prefix+"absent").Err()
		}
	})
	idemtest.RunBenchmarks(b, s)
}
