package redisstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/redisstore"
)

// TestRoundTrips counts the commands the store sends: a new key costs a
// claim and a complete, a replay, an in-progress answer and a mismatch one
// claim each.
func TestRoundTrips(t *testing.T) {
	ctx := context.Background()
	cnt := &counter{}
	c := newClient(t, cnt)
	s := redisstore.New(c, redisstore.WithPrefix(testPrefix(t, c)))
	// Warm up: open the connection and have the server cache every script,
	// so that only the steady state is counted.
	mustNil(t, expect(s.Claim(ctx, "warm", "f", "o", lease))(idempotency.Acquired))
	mustNil(t, s.Extend(ctx, "warm", "o", lease))
	mustNil(t, s.Release(ctx, "warm", "o"))
	mustNil(t, expect(s.Claim(ctx, "warm", "f", "o", lease))(idempotency.Acquired))
	mustNil(t, s.Complete(ctx, "warm", "o", nil, retention))

	tests := []struct {
		name string
		op   func() error
		want int
	}{
		{"new key: claim + complete", func() error {
			got, err := s.Claim(ctx, "k", "f", "o1", lease)
			if err != nil || got.Outcome != idempotency.Acquired {
				return fmt.Errorf("claim: %v %v", got.Outcome, err)
			}
			return s.Complete(ctx, "k", "o1", []byte("response"), retention)
		}, 2},
		{"replay", func() error { return expect(s.Claim(ctx, "k", "f", "o2", lease))(idempotency.Completed) }, 1},
		{"mismatch", func() error { return expect(s.Claim(ctx, "k", "other", "o2", lease))(idempotency.Mismatch) }, 1},
		{"in progress", func() error {
			if err := expect(s.Claim(ctx, "k2", "f", "o1", lease))(idempotency.Acquired); err != nil {
				return err
			}
			cnt.take()
			return expect(s.Claim(ctx, "k2", "f", "o2", lease))(idempotency.InProgress)
		}, 1},
		{"extend", func() error { return s.Extend(ctx, "k2", "o1", lease) }, 1},
		{"release", func() error { return s.Release(ctx, "k2", "o1") }, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cnt.take()
			if err := tt.op(); err != nil {
				t.Fatal(err)
			}
			names := cnt.names
			got, noScripts := cnt.take()
			if got != tt.want {
				t.Errorf("round trips = %d %v, want %d", got, names, tt.want)
			}
			if noScripts > 0 {
				t.Logf("%d EVALSHA answered NOSCRIPT (another client flushed the script cache) and were not counted", noScripts)
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

// BenchmarkRedis measures a new key (claim + complete) and a replay
// (claim) against one GET, the cost of a single round trip.
func BenchmarkRedis(b *testing.B) {
	ctx := context.Background()
	c := newClient(b)
	prefix := testPrefix(b, c)
	s := redisstore.New(c, redisstore.WithPrefix(prefix))
	resp := make([]byte, 512)

	b.Run("baseline=GET", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.Get(ctx, prefix+"absent").Err()
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
