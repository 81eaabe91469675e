package idemtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
)

// A Count is something a store's test measures per store call, such as
// network round trips or statements run. Take returns how many happened
// since its previous call and starts counting anew; it may log with t.
type Count struct {
	Name string
	Take func(t *testing.T) int64
}

// RunRoundTrips checks what each step of a request costs with store s, by
// every count given: a new key (claim and complete) 2, and a replay, a
// mismatch, an in-progress answer, a lease extension and a release 1 each.
// Each step is a subtest; any set-up a step needs is not counted.
//
// Before the steps it warms s up with one of every call (a claim, extend,
// release, claim, complete and claim of a completed key), so that opening
// connections and preparing statements or scripts is not counted. The
// counts should therefore measure only the connections s uses; a store
// that spreads calls over a pool may need a pool of one connection.
func RunRoundTrips(t *testing.T, s idempotency.Store, counts ...Count) {
	t.Helper()
	ctx := context.Background()
	run := "roundtrip:" + rand.Text() + ":"
	warm, k, k2 := run+"warm", run+"k", run+"k2"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("warm-up: %v", err)
		}
	}
	must(ClaimOutcome(s.Claim(ctx, warm, "f", "o", longLease))(idempotency.Acquired))
	must(s.Extend(ctx, warm, "o", longLease))
	must(s.Release(ctx, warm, "o"))
	must(ClaimOutcome(s.Claim(ctx, warm, "f", "o", longLease))(idempotency.Acquired))
	must(s.Complete(ctx, warm, "o", nil, retention))
	must(ClaimOutcome(s.Claim(ctx, warm, "f", "o", longLease))(idempotency.Completed))

	steps := []struct {
		name  string
		setup func() error // not counted
		op    func() error
		want  int64
	}{
		{"new key: claim + complete", nil, func() error {
			if err := ClaimOutcome(s.Claim(ctx, k, "f", "o1", longLease))(idempotency.Acquired); err != nil {
				return err
			}
			return s.Complete(ctx, k, "o1", []byte("response"), retention)
		}, 2},
		{"replay", nil, func() error { return ClaimOutcome(s.Claim(ctx, k, "f", "o2", longLease))(idempotency.Completed) }, 1},
		{"mismatch", nil, func() error { return ClaimOutcome(s.Claim(ctx, k, "other", "o2", longLease))(idempotency.Mismatch) }, 1},
		{"in progress",
			func() error { return ClaimOutcome(s.Claim(ctx, k2, "f", "o1", longLease))(idempotency.Acquired) },
			func() error { return ClaimOutcome(s.Claim(ctx, k2, "f", "o2", longLease))(idempotency.InProgress) }, 1},
		{"extend", nil, func() error { return s.Extend(ctx, k2, "o1", longLease) }, 1},
		{"release", nil, func() error { return s.Release(ctx, k2, "o1") }, 1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.setup != nil {
				if err := st.setup(); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range counts {
				c.Take(t)
			}
			if err := st.op(); err != nil {
				t.Fatal(err)
			}
			var got []string
			ok := true
			for _, c := range counts {
				n := c.Take(t)
				got = append(got, fmt.Sprintf("%s = %d", c.Name, n))
				ok = ok && n == st.want
			}
			if !ok {
				t.Errorf("%s, want %d", strings.Join(got, ", "), st.want)
			}
		})
	}
}

// ClaimOutcome returns a function that checks the result of a Claim: it
// returns the Claim's error, or an error if the outcome is not want. It
// reads as ClaimOutcome(s.Claim(...))(idempotency.Acquired).
func ClaimOutcome(c idempotency.Claim, err error) func(want idempotency.Outcome) error {
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

// RunBenchmarks measures s on a new key (claim and complete, with a
// 512-byte response) and on a replay (one claim of a completed key), as
// the sub-benchmarks "claim+complete" and "replay". Keys are unique
// across -count runs. A store's benchmark adds a baseline of its own, such
// as one round trip to its server.
func RunBenchmarks(b *testing.B, s idempotency.Store) {
	ctx := context.Background()
	resp := make([]byte, 512)
	b.Run("claim+complete", func(b *testing.B) {
		b.ReportAllocs()
		run, i := rand.Text(), 0 // keys unique across -count runs
		for b.Loop() {
			key := run + strconv.Itoa(i)
			i++
			if _, err := s.Claim(ctx, key, "f", "o", longLease); err != nil {
				b.Fatal(err)
			}
			if err := s.Complete(ctx, key, "o", resp, retention); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replay", func(b *testing.B) {
		key := "replay:" + rand.Text()
		if _, err := s.Claim(ctx, key, "f", "o", longLease); err != nil {
			b.Fatal(err)
		}
		if err := s.Complete(ctx, key, "o", resp, retention); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			got, err := s.Claim(ctx, key, "f", "o2", longLease)
			if err != nil || got.Outcome != idempotency.Completed {
				b.Fatal(got.Outcome, err)
			}
		}
	})
}

// RunInvalidDurations checks that s refuses a zero or negative lease, a
// zero lease extension and a zero retention with an error that starts with
// prefix (the store package's, e.g. "idempg: ") and says the duration must
// be positive. s is never expected to reach its backend.
func RunInvalidDurations(t *testing.T, s idempotency.Store, prefix string) {
	t.Helper()
	ctx := context.Background()
	tests := []struct {
		name string
		op   func() error
	}{
		{"zero lease", func() error { _, err := s.Claim(ctx, "k", "f", "o", 0); return err }},
		{"negative lease", func() error { _, err := s.Claim(ctx, "k", "f", "o", -time.Second); return err }},
		{"zero extend", func() error { return s.Extend(ctx, "k", "o", 0) }},
		{"zero retention", func() error { return s.Complete(ctx, "k", "o", nil, 0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.op(); err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), "positive") {
				t.Fatalf("err = %v, want an error starting %q about a positive duration", err, prefix)
			}
		})
	}
}
