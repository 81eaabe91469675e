package hookpg_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
)

// Migrate on tables made by an earlier schema, without the dead-letter
// indexes, adds them; the dead letters already there are listed.
func TestMigrateAddsDeadLetterIndexes(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	name := testTable(t, pool)
	s, err := hookpg.New(pool, hookpg.WithTable(name))
	if err != nil {
		t.Fatal(err)
	}
	var old []string
	for _, line := range strings.Split(s.Schema(), "\n") {
		if !strings.Contains(line, "_dead_") {
			old = append(old, line)
		}
	}
	if _, err := pool.Exec(ctx, strings.Join(old, "\n")); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := s.Enqueue(ctx, webhook.Message{ID: "old_dead", Endpoint: "https://example.com/", Payload: []byte(`{}`), CreatedAt: now, NextAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Lease(ctx, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: "t"}); err != nil || !ok {
		t.Fatal(ok, err)
	}
	dead := webhook.Result{Attempt: webhook.Attempt{Number: 1, At: now, Status: 500}, State: webhook.Dead, Failures: 1}
	if err := s.Finish(ctx, "old_dead", "t", dead); err != nil {
		t.Fatal(err)
	}
	indexes := func() map[string]string {
		rows, err := pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1`, name)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var n, def string
			if err := rows.Scan(&n, &def); err != nil {
				t.Fatal(err)
			}
			out[n] = def
		}
		return out
	}
	if idx := indexes(); idx[name+"_dead_idx"] != "" {
		t.Fatalf("the earlier schema has the dead-letter index: %v", idx)
	}
	for range 2 {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate on an existing table: %v", err)
		}
	}
	idx := indexes()
	for _, n := range []string{name + "_dead_idx", name + "_dead_ep_idx"} {
		if def := idx[n]; !strings.Contains(def, "WHERE (state = 2)") || !strings.Contains(def, `COLLATE "C"`) {
			t.Errorf("index %s: %q; want a partial index on the dead letters", n, def)
		}
	}
	got, err := s.DeadLetters(ctx, webhook.DeadQuery{Limit: 10})
	if err != nil || len(got) != 1 || got[0].ID != "old_dead" {
		t.Fatalf("DeadLetters after Migrate = %+v, %v; want old_dead", got, err)
	}
}
