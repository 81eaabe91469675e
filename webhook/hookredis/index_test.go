package hookredis_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookredis"
)

// Dead letters kept by an earlier version, with no index, are listed
// after IndexDeadLetters.
func TestIndexDeadLettersFromEarlierVersion(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c) + "a*b?[c]:" // a prefix that is not a glob
	s, err := hookredis.New(c, hookredis.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	eps := []string{"https://a.example.com/", "https://b.example.com/"}
	var want []string
	for i, id := range []string{"d1", "d2", "d3", "delivered", "pending"} {
		m := webhook.Message{ID: id, Endpoint: eps[i%2], Payload: []byte(`{}`), CreatedAt: now, NextAt: now}
		if _, err := s.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
		if id == "pending" {
			break
		}
		if _, ok, err := s.Lease(ctx, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: id}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		res := webhook.Result{Attempt: webhook.Attempt{Number: 1, At: now.Add(time.Duration(3-i) * time.Second), Status: 500}, State: webhook.Dead}
		if id == "delivered" {
			res.State = webhook.Delivered
		} else {
			want = append([]string{id}, want...) // each died before the one before it
		}
		if err := s.Finish(ctx, id, id, res); err != nil {
			t.Fatal(err)
		}
	}
	// What an earlier version left: no index, no "dead" fields.
	for _, id := range want {
		c.HDel(ctx, prefix+"m:"+id, "dead")
	}
	c.Del(ctx, prefix+"dead", prefix+"dead:"+eps[0], prefix+"dead:"+eps[1])
	list := func(q webhook.DeadQuery) []string {
		t.Helper()
		q.Limit = 10
		ms, err := s.DeadLetters(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		return ids
	}
	if got := list(webhook.DeadQuery{}); len(got) != 0 {
		t.Fatalf("unindexed dead letters listed: %q", got)
	}
	for i, wantN := range []int{3, 0} {
		if n, err := s.IndexDeadLetters(ctx); err != nil || n != wantN {
			t.Fatalf("IndexDeadLetters (run %d) = %d, %v; want %d", i+1, n, err, wantN)
		}
	}
	if got := list(webhook.DeadQuery{}); !slices.Equal(got, want) {
		t.Fatalf("after IndexDeadLetters: %q; want %q", got, want)
	}
	if got := list(webhook.DeadQuery{Endpoint: eps[0]}); !slices.Equal(got, []string{"d3", "d1"}) {
		t.Fatalf("endpoint a after IndexDeadLetters: %q; want d3, d1", got)
	}
	if err := s.Replay(ctx, "d1", now); err != nil {
		t.Fatal(err)
	}
	if got := list(webhook.DeadQuery{Endpoint: eps[0]}); !slices.Equal(got, []string{"d3"}) {
		t.Fatalf("after replaying d1: %q; want d3", got)
	}
}
