package hooktest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
)

// kill enqueues m, leases it and records an attempt at at that makes it a
// dead letter. No other message of the store may be due at m.NextAt.
func kill(t *testing.T, s webhook.Store, m webhook.Message, at time.Time) {
	t.Helper()
	enqueue(t, s, m)
	redie(t, s, m.ID, 1, m.NextAt, at)
}

// redie leases message id, due at now, and records attempt number n at
// at, which makes it a dead letter.
func redie(t *testing.T, s webhook.Store, id string, n int, now, at time.Time) {
	t.Helper()
	tok := "die_" + id
	got, ok := lease(t, s, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: tok})
	if !ok || got.ID != id {
		t.Fatalf("Lease = %s, %v; want %s", got.ID, ok, id)
	}
	dead := webhook.Result{Attempt: webhook.Attempt{Number: n, At: at, Status: 500, Error: "500"}, State: webhook.Dead, Failures: 1}
	if err := s.Finish(ctx(t), id, tok, dead); err != nil {
		t.Fatalf("Finish(%s) = %v", id, err)
	}
}

// cursorOf is the place just after m in the listing.
func cursorOf(m webhook.Message) *webhook.DeadCursor {
	return &webhook.DeadCursor{At: m.NextAt, ID: m.ID}
}

// listAll pages through the dead letters with q (q.Limit a page),
// checking each page's size, and returns them all.
func listAll(t *testing.T, s webhook.Store, q webhook.DeadQuery) []webhook.Message {
	t.Helper()
	var all []webhook.Message
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("DeadLetters: over 1000 pages; the cursor does not move")
		}
		page, err := s.DeadLetters(ctx(t), q)
		if err != nil {
			t.Fatalf("DeadLetters(%+v) = %v", q, err)
		}
		if len(page) > q.Limit {
			t.Fatalf("DeadLetters returned %d messages for a limit of %d", len(page), q.Limit)
		}
		all = append(all, page...)
		if len(page) < q.Limit {
			return all
		}
		q.After = cursorOf(page[len(page)-1])
	}
}

func ids(ms []webhook.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// deadOrder sorts dead letters the way DeadLetters lists them.
func deadOrder(ms []webhook.Message) {
	slices.SortFunc(ms, func(a, b webhook.Message) int {
		if c := a.NextAt.Compare(b.NextAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func only(ms []webhook.Message, endpoint string) []webhook.Message {
	return slices.DeleteFunc(slices.Clone(ms), func(m webhook.Message) bool { return m.Endpoint != endpoint })
}

func testDeadLettersPaged(t *testing.T, s webhook.Store) {
	a, b := "https://a.example.com/hooks", "https://b.example.com/hooks"
	p := newID() + "_"
	// Ties in death time are listed by id, byte-wise ("B" < "Z" < "a" <
	// "z"), whatever the store's collation.
	letters := []struct {
		id, endpoint string
		at           time.Duration
	}{
		{"a", a, time.Second}, {"B", b, time.Second}, {"c", a, 2 * time.Second},
		{"z", a, 3 * time.Second}, {"Z", b, 3 * time.Second}, {"f", b, 4 * time.Second},
		{"g", a, 5 * time.Second},
	}
	var want []webhook.Message
	for _, l := range letters {
		m := msg(l.endpoint)
		m.ID = p + l.id
		kill(t, s, m, base.Add(l.at))
		m.State, m.Attempts, m.Failures, m.NextAt = webhook.Dead, 1, 1, base.Add(l.at)
		want = append(want, m)
	}
	deadOrder(want)
	// Neither a delivered message nor pending ones are listed.
	done := msg(a)
	enqueue(t, s, done)
	lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "done"})
	if err := s.Finish(ctx(t), done.ID, "done", delivered(1, base)); err != nil {
		t.Fatal(err)
	}
	retrying := msg(a)
	enqueue(t, s, retrying)
	lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "retry"})
	if err := s.Finish(ctx(t), retrying.ID, "retry", webhook.Result{
		Attempt: webhook.Attempt{Number: 1, At: base, Status: 500}, State: webhook.Pending, NextAt: base.Add(time.Hour), Failures: 1,
	}); err != nil {
		t.Fatal(err)
	}
	future := msg(b)
	future.NextAt = base.Add(time.Hour)
	enqueue(t, s, future)

	got, err := s.DeadLetters(ctx(t), webhook.DeadQuery{Limit: webhook.MaxDeadLimit})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("DeadLetters = %q; want %q", ids(got), ids(want))
	}
	for i, m := range got {
		w := want[i]
		if m.Endpoint != w.Endpoint || m.Type != w.Type || string(m.Payload) != string(w.Payload) || m.State != webhook.Dead ||
			m.Attempts != 1 || m.Failures != 1 || !m.CreatedAt.Equal(base) || !m.NextAt.Equal(w.NextAt) {
			t.Errorf("dead letter %d = %+v; want %+v", i, m, w)
		}
	}
	// Every page size returns each dead letter once, in order, without a
	// gap between pages.
	for _, limit := range []int{1, 2, 3, 7, 8} {
		if got := listAll(t, s, webhook.DeadQuery{Limit: limit}); !slices.Equal(ids(got), ids(want)) {
			t.Errorf("paged by %d: %q; want %q", limit, ids(got), ids(want))
		}
		for _, ep := range []string{a, b} {
			got := listAll(t, s, webhook.DeadQuery{Endpoint: ep, Limit: limit})
			if w := only(want, ep); !slices.Equal(ids(got), ids(w)) {
				t.Errorf("endpoint %s paged by %d: %q; want %q", ep, limit, ids(got), ids(w))
			}
		}
	}
	if got := listAll(t, s, webhook.DeadQuery{Endpoint: "https://c.example.com/hooks", Limit: 10}); len(got) != 0 {
		t.Errorf("another endpoint's dead letters: %q; want none", ids(got))
	}
	// A cursor is compared as (time, id): an empty id starts at the
	// time's first dead letter.
	got, err = s.DeadLetters(ctx(t), webhook.DeadQuery{After: &webhook.DeadCursor{At: base.Add(3 * time.Second)}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if w := ids(want[3:]); !slices.Equal(ids(got), w) {
		t.Errorf("after (3s, \"\"): %q; want %q", ids(got), w)
	}
	got, err = s.DeadLetters(ctx(t), webhook.DeadQuery{After: cursorOf(want[len(want)-1]), Limit: 10})
	if err != nil || len(got) != 0 {
		t.Errorf("after the last: %q, %v; want none", ids(got), err)
	}
}

func testDeadLettersReplay(t *testing.T, s webhook.Store) {
	ep := "https://example.com/a"
	var want []webhook.Message
	for i := range 5 {
		m := msg(ep)
		kill(t, s, m, base.Add(time.Duration(i)*time.Second))
		m.NextAt = base.Add(time.Duration(i) * time.Second)
		want = append(want, m)
	}
	first, err := s.DeadLetters(ctx(t), webhook.DeadQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(first), ids(want[:2])) {
		t.Fatalf("first page %q; want %q", ids(first), ids(want[:2]))
	}
	// Replaying the page's last message (the cursor's) and the next one
	// leaves no gap: the listing resumes where it was.
	if err := s.Replay(ctx(t), want[1].ID, base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a repeated replay adds nothing back
		if err := s.Replay(ctx(t), want[2].ID, base.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	rest := listAll(t, s, webhook.DeadQuery{After: cursorOf(first[1]), Limit: 2})
	if w := ids(want[3:]); !slices.Equal(ids(rest), w) {
		t.Fatalf("after replays, next pages %q; want %q", ids(rest), w)
	}
	left := []string{want[0].ID, want[3].ID, want[4].ID}
	if got := ids(listAll(t, s, webhook.DeadQuery{Limit: 10})); !slices.Equal(got, left) {
		t.Fatalf("after replays: %q; want %q", got, left)
	}
	if got := ids(listAll(t, s, webhook.DeadQuery{Endpoint: ep, Limit: 10})); !slices.Equal(got, left) {
		t.Fatalf("endpoint's after replays: %q; want %q", got, left)
	}
	// Dead again, want[2] comes again, after the others.
	later := base.Add(time.Hour)
	redie(t, s, want[2].ID, 2, later, later)
	again := append(left, want[2].ID)
	for _, q := range []webhook.DeadQuery{{Limit: 10}, {Endpoint: ep, Limit: 1}} {
		got := listAll(t, s, q)
		if !slices.Equal(ids(got), again) {
			t.Fatalf("dead again, %+v: %q; want %q", q, ids(got), again)
		}
		if m := got[len(got)-1]; m.Attempts != 2 || !m.NextAt.Equal(later) {
			t.Fatalf("dead again: %+v; want 2 attempts, died at %v", m, later)
		}
	}
	// A resumed listing sees it too.
	if got := listAll(t, s, webhook.DeadQuery{After: cursorOf(want[4]), Limit: 10}); !slices.Equal(ids(got), []string{want[2].ID}) {
		t.Fatalf("resumed after the last seen: %q; want %s", ids(got), want[2].ID)
	}
}

func testDeadLettersLimit(t *testing.T, s webhook.Store) {
	for _, limit := range []int{0, -1, webhook.MaxDeadLimit + 1, math.MaxInt} {
		if got, err := s.DeadLetters(ctx(t), webhook.DeadQuery{Limit: limit}); err == nil {
			t.Errorf("DeadLetters with limit %d = %d messages, nil; want an error", limit, len(got))
		}
	}
	for i := range 3 {
		kill(t, s, msg("https://example.com/a"), base.Add(time.Duration(i)*time.Millisecond))
	}
	for limit, want := range map[int]int{1: 1, 2: 2, 3: 3, webhook.MaxDeadLimit: 3} {
		if got, err := s.DeadLetters(ctx(t), webhook.DeadQuery{Limit: limit}); err != nil || len(got) != want {
			t.Errorf("DeadLetters with limit %d = %d messages, %v; want %d", limit, len(got), err, want)
		}
	}
}

// testDeadLettersConcurrent has workers lease, kill and replay messages
// at once, then checks that the listing holds exactly the messages that
// are dead.
func testDeadLettersConcurrent(t *testing.T, s webhook.Store) {
	const n, workers, rounds = 40, 8, 25
	var all []string
	for range n {
		m := msg("https://example.com/" + fmt.Sprint(len(all)%3))
		enqueue(t, s, m)
		all = append(all, m.ID)
	}
	now := base.Add(time.Hour)
	c := ctx(t)
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				tok := fmt.Sprintf("w%d_%d", w, r)
				m, ok, err := s.Lease(c, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: tok})
				if err != nil {
					errs <- err
					return
				}
				if ok {
					at := base.Add(time.Duration(rand.IntN(1000)) * time.Millisecond)
					res := webhook.Result{Attempt: webhook.Attempt{Number: m.Attempts + 1, At: at, Status: 500}, State: webhook.Dead, Failures: 1}
					if err := s.Finish(c, m.ID, tok, res); err != nil {
						errs <- fmt.Errorf("finish %s: %w", m.ID, err)
					}
				}
				if r%2 == 0 {
					if err := s.Replay(c, all[rand.IntN(n)], base); err != nil {
						errs <- fmt.Errorf("replay: %w", err)
					}
				}
				if _, err := s.DeadLetters(c, webhook.DeadQuery{Limit: 5, Endpoint: "https://example.com/1"}); err != nil {
					errs <- fmt.Errorf("dead letters: %w", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var want []webhook.Message
	for _, id := range all {
		m, err := s.Message(ctx(t), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.State == webhook.Dead {
			want = append(want, m)
		}
	}
	deadOrder(want)
	got := listAll(t, s, webhook.DeadQuery{Limit: 7})
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("listed %d dead letters %q;\nthe dead ones are %d: %q", len(got), ids(got), len(want), ids(want))
	}
	for i := range 3 {
		ep := "https://example.com/" + fmt.Sprint(i)
		if got := listAll(t, s, webhook.DeadQuery{Endpoint: ep, Limit: 4}); !slices.Equal(ids(got), ids(only(want, ep))) {
			t.Fatalf("endpoint %s: listed %q; the dead ones are %q", ep, ids(got), ids(only(want, ep)))
		}
	}
	t.Logf("%d of %d messages dead at the end", len(want), n)
}
