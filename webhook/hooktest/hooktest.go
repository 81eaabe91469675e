// Package hooktest is the conformance suite for [webhook.Store]
// implementations. Every Store (the memory store, hookpg, hookredis, or
// your own) must pass it:
//
//	func TestConformance(t *testing.T) {
//		hooktest.Run(t, func(t *testing.T) webhook.Store {
//			s, err := mystore.New(...)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite checks the store's contract call by call, the listing of
// dead letters included (paged by a cursor without gaps or repeats, by
// endpoint, replayed ones left out, the page size bounded, and in step
// with concurrent moves in and out of Dead), then delivers through
// Dispatchers over the store to local receivers: retries with
// Retry-After and a reset connection, 410 Gone, a worker that dies
// holding a lease, three dispatchers sharing 1,000 messages, an internal
// address refused, and a dead letter listed and replayed. It uses short
// schedules and takes a few seconds. newStore is called once per subtest and should
// return an empty store (a fresh key prefix or table).
package hooktest

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
)

// Run runs the conformance suite against stores made by newStore.
func Run(t *testing.T, newStore func(t *testing.T) webhook.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s webhook.Store)
	}{
		{"EnqueueIsIdempotent", testEnqueue},
		{"LeaseIsExclusive", testLease},
		{"ExpiredLeaseIsTakenOver", testTakeover},
		{"FinishIsRepeatable", testFinish},
		{"ReleaseNeedsTheLease", testRelease},
		{"SkipAndDisabledEndpoints", testEndpoints},
		{"OrderedLease", testOrdered},
		{"ReplayDeadLetter", testReplay},
		{"NotFound", testNotFound},
		{"DeadLettersPaged", testDeadLettersPaged},
		{"DeadLettersAfterReplay", testDeadLettersReplay},
		{"DeadLettersLimit", testDeadLettersLimit},
		{"DeadLettersFollowConcurrentMoves", testDeadLettersConcurrent},
		{"DeliverAfterTwoFailures", testDeliverAfterFailures},
		{"GoneDisablesEndpoint", testGone},
		{"KilledWorkerLosesNothing", testKilledWorker},
		{"NoConcurrentAttempts", testNoConcurrentAttempts},
		{"InternalAddressRefused", testInternalRefused},
		{"DeadLetterReplayDelivered", testDeadReplayDelivered},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if s == nil {
				t.Fatal("hooktest: newStore returned nil")
			}
			tc.run(t, s)
		})
	}
}

// base is a fixed time for the contract tests; the stores use the
// caller's times only.
var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func newID() string { return "msg_" + rand.Text() }

func msg(endpoint string) webhook.Message {
	return webhook.Message{
		ID: newID(), Endpoint: endpoint, Type: "test.event",
		Payload: []byte(`{"n":1}`), CreatedAt: base, NextAt: base,
	}
}

func enqueue(t *testing.T, s webhook.Store, m webhook.Message) {
	t.Helper()
	created, err := s.Enqueue(ctx(t), m)
	if err != nil || !created {
		t.Fatalf("Enqueue(%s) = %v, %v; want true, nil", m.ID, created, err)
	}
}

func lease(t *testing.T, s webhook.Store, r webhook.LeaseRequest) (webhook.Message, bool) {
	t.Helper()
	m, ok, err := s.Lease(ctx(t), r)
	if err != nil {
		t.Fatalf("Lease: %v", err)
	}
	return m, ok
}

func delivered(n int, at time.Time) webhook.Result {
	return webhook.Result{Attempt: webhook.Attempt{Number: n, At: at, Status: 200, Latency: time.Millisecond}, State: webhook.Delivered}
}

func testEnqueue(t *testing.T, s webhook.Store) {
	m := msg("https://example.com/a")
	enqueue(t, s, m)
	other := m
	other.Payload = []byte(`{"other":true}`)
	created, err := s.Enqueue(ctx(t), other)
	if err != nil || created {
		t.Fatalf("second Enqueue = %v, %v; want false, nil", created, err)
	}
	got, err := s.Message(ctx(t), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Endpoint != m.Endpoint || got.Type != m.Type || string(got.Payload) != string(m.Payload) ||
		got.State != webhook.Pending || got.Attempts != 0 || !got.CreatedAt.Equal(base) || !got.NextAt.Equal(base) {
		t.Fatalf("Message = %+v; want the first enqueued, pending", got)
	}
}

func testLease(t *testing.T, s webhook.Store) {
	future := msg("https://example.com/a")
	future.NextAt = base.Add(time.Hour)
	enqueue(t, s, future)
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t0"}); ok {
		t.Fatal("leased a message not yet due")
	}
	m := msg("https://example.com/a")
	enqueue(t, s, m)
	got, ok := lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t1"})
	if !ok || got.ID != m.ID || string(got.Payload) != string(m.Payload) {
		t.Fatalf("Lease = %+v, %v; want %s", got, ok, m.ID)
	}
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: base.Add(time.Second), Until: base.Add(time.Minute), Token: "t2"}); ok {
		t.Fatal("leased a message whose lease is live")
	}
}

func testTakeover(t *testing.T, s webhook.Store) {
	m := msg("https://example.com/a")
	enqueue(t, s, m)
	lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "old"})
	later := base.Add(time.Minute)
	got, ok := lease(t, s, webhook.LeaseRequest{Now: later, Until: later.Add(time.Minute), Token: "new"})
	if !ok || got.ID != m.ID {
		t.Fatalf("Lease after expiry = %v; want the message taken over", ok)
	}
	if err := s.Finish(ctx(t), m.ID, "old", delivered(1, base)); !errors.Is(err, webhook.ErrLeaseLost) {
		t.Fatalf("Finish with the expired lease = %v; want ErrLeaseLost", err)
	}
	if err := s.Finish(ctx(t), m.ID, "new", delivered(1, later)); err != nil {
		t.Fatalf("Finish with the new lease = %v", err)
	}
}

func testFinish(t *testing.T, s webhook.Store) {
	m := msg("https://example.com/a")
	enqueue(t, s, m)
	lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t1"})
	retry := webhook.Result{
		Attempt: webhook.Attempt{Number: 1, At: base, Status: 500, Latency: 3 * time.Millisecond, Error: "500 Internal Server Error"},
		State:   webhook.Pending, NextAt: base.Add(5 * time.Second), Failures: 1,
	}
	for range 2 {
		if err := s.Finish(ctx(t), m.ID, "t1", retry); err != nil {
			t.Fatalf("Finish (repeated) = %v", err)
		}
	}
	got, err := s.Message(ctx(t), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != webhook.Pending || got.Attempts != 1 || got.Failures != 1 || !got.NextAt.Equal(base.Add(5*time.Second)) {
		t.Fatalf("after a failed attempt: %+v", got)
	}
	as, err := s.Attempts(ctx(t), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].Number != 1 || as[0].Status != 500 || as[0].Latency != 3*time.Millisecond ||
		as[0].Error != retry.Attempt.Error || !as[0].At.Equal(base) {
		t.Fatalf("Attempts = %+v; want the one failed attempt", as)
	}
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: base.Add(time.Second), Until: base.Add(time.Minute), Token: "t2"}); ok {
		t.Fatal("leased a message before its retry is due")
	}
	at := base.Add(5 * time.Second)
	got, ok := lease(t, s, webhook.LeaseRequest{Now: at, Until: at.Add(time.Minute), Token: "t2"})
	if !ok || got.Attempts != 1 || got.Failures != 1 {
		t.Fatalf("Lease at the retry = %+v, %v", got, ok)
	}
	if err := s.Finish(ctx(t), m.ID, "t2", delivered(2, at)); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(ctx(t), m.ID, "t2", delivered(2, at)); err != nil {
		t.Fatalf("repeated Finish = %v", err)
	}
	if got, _ := s.Message(ctx(t), m.ID); got.State != webhook.Delivered || got.Attempts != 2 {
		t.Fatalf("after delivery: %+v", got)
	}
	if as, _ := s.Attempts(ctx(t), m.ID); len(as) != 2 {
		t.Fatalf("Attempts = %d; want 2", len(as))
	}
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: at.Add(time.Hour), Until: at.Add(2 * time.Hour), Token: "t3"}); ok {
		t.Fatal("leased a delivered message")
	}
}

func testRelease(t *testing.T, s webhook.Store) {
	m := msg("https://example.com/a")
	enqueue(t, s, m)
	lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t1"})
	if err := s.Release(ctx(t), m.ID, "t1", base.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx(t), m.ID, "t1", base.Add(time.Second)); err != nil {
		t.Fatalf("repeated Release = %v", err)
	}
	at := base.Add(time.Second)
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: at, Until: at.Add(time.Minute), Token: "t2"}); !ok {
		t.Fatal("released message not leased again")
	}
	if err := s.Release(ctx(t), m.ID, "t1", at); !errors.Is(err, webhook.ErrLeaseLost) {
		t.Fatalf("Release of a lost lease = %v; want ErrLeaseLost", err)
	}
}

func testEndpoints(t *testing.T, s webhook.Store) {
	a, b := msg("https://a.example.com/"), msg("https://b.example.com/")
	enqueue(t, s, a)
	enqueue(t, s, b)
	req := webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t1", Skip: []string{a.Endpoint}}
	got, ok := lease(t, s, req)
	if !ok || got.ID != b.ID {
		t.Fatalf("Lease skipping a = %+v, %v; want b", got.ID, ok)
	}
	if err := s.SetEndpointDisabled(ctx(t), a.Endpoint, true); err != nil {
		t.Fatal(err)
	}
	if dis, err := s.EndpointDisabled(ctx(t), a.Endpoint); err != nil || !dis {
		t.Fatalf("EndpointDisabled = %v, %v", dis, err)
	}
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t2"}); ok {
		t.Fatal("leased a message of a disabled endpoint")
	}
	for range 2 {
		if err := s.SetEndpointDisabled(ctx(t), a.Endpoint, false); err != nil {
			t.Fatal(err)
		}
	}
	got, ok = lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t3"})
	if !ok || got.ID != a.ID {
		t.Fatalf("Lease after re-enabling = %v; want a", ok)
	}
	// A 410 disables the endpoint in the same step as the attempt.
	gone := webhook.Result{Attempt: webhook.Attempt{Number: 1, At: base, Status: 410, Error: "gone"}, State: webhook.Pending, NextAt: base, DisableEndpoint: true}
	if err := s.Finish(ctx(t), a.ID, "t3", gone); err != nil {
		t.Fatal(err)
	}
	if dis, _ := s.EndpointDisabled(ctx(t), a.Endpoint); !dis {
		t.Fatal("Finish with DisableEndpoint left the endpoint enabled")
	}
	if dis, _ := s.EndpointDisabled(ctx(t), b.Endpoint); dis {
		t.Fatal("another endpoint was disabled")
	}
}

func testOrdered(t *testing.T, s webhook.Store) {
	ep := "https://example.com/ordered"
	first, second := msg(ep), msg(ep)
	second.NextAt = base.Add(-time.Second) // due earlier, but enqueued later
	enqueue(t, s, first)
	enqueue(t, s, second)
	other := msg("https://example.com/other")
	other.NextAt = base.Add(time.Millisecond) // after first: the lease order is by due time
	enqueue(t, s, other)
	now := other.NextAt
	req := func(tok string, now time.Time) webhook.LeaseRequest {
		return webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: tok, Ordered: true}
	}
	got, ok := lease(t, s, req("t1", now))
	if !ok || got.ID != first.ID {
		t.Fatalf("ordered Lease = %s, %v; want the first enqueued", got.ID, ok)
	}
	got, ok = lease(t, s, req("t2", now))
	if !ok || got.ID != other.ID {
		t.Fatalf("ordered Lease = %s, %v; want the other endpoint's message", got.ID, ok)
	}
	if _, ok = lease(t, s, req("t3", now)); ok {
		t.Fatal("ordered Lease took a message behind a pending one")
	}
	if err := s.Finish(ctx(t), first.ID, "t1", delivered(1, base)); err != nil {
		t.Fatal(err)
	}
	got, ok = lease(t, s, req("t4", now))
	if !ok || got.ID != second.ID {
		t.Fatalf("ordered Lease after the first was delivered = %s, %v", got.ID, ok)
	}
}

func testReplay(t *testing.T, s webhook.Store) {
	m := msg("https://example.com/a")
	enqueue(t, s, m)
	if err := s.Replay(ctx(t), m.ID, base); err != nil {
		t.Fatalf("Replay of a pending message = %v; want nil", err)
	}
	lease(t, s, webhook.LeaseRequest{Now: base, Until: base.Add(time.Minute), Token: "t1"})
	dead := webhook.Result{Attempt: webhook.Attempt{Number: 1, At: base, Status: 500, Error: "500"}, State: webhook.Dead, Failures: 1}
	if err := s.Finish(ctx(t), m.ID, "t1", dead); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Message(ctx(t), m.ID); got.State != webhook.Dead {
		t.Fatalf("state = %v; want dead", got.State)
	}
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: base.Add(time.Hour), Until: base.Add(2 * time.Hour), Token: "t2"}); ok {
		t.Fatal("leased a dead letter")
	}
	at := base.Add(time.Hour)
	for range 2 {
		if err := s.Replay(ctx(t), m.ID, at); err != nil {
			t.Fatalf("Replay = %v", err)
		}
	}
	got, err := s.Message(ctx(t), m.ID)
	if err != nil || got.State != webhook.Pending || got.Failures != 0 || got.Attempts != 1 || !got.NextAt.Equal(at) {
		t.Fatalf("after Replay: %+v, %v", got, err)
	}
	if _, ok := lease(t, s, webhook.LeaseRequest{Now: at, Until: at.Add(time.Minute), Token: "t3"}); !ok {
		t.Fatal("replayed message not leased")
	}
	if err := s.Finish(ctx(t), m.ID, "t3", delivered(2, at)); err != nil {
		t.Fatal(err)
	}
	if err := s.Replay(ctx(t), m.ID, at); !errors.Is(err, webhook.ErrNotDead) {
		t.Fatalf("Replay of a delivered message = %v; want ErrNotDead", err)
	}
}

func testNotFound(t *testing.T, s webhook.Store) {
	id := newID()
	if _, err := s.Message(ctx(t), id); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("Message = %v; want ErrNotFound", err)
	}
	if _, err := s.Attempts(ctx(t), id); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("Attempts = %v; want ErrNotFound", err)
	}
	if err := s.Replay(ctx(t), id, base); !errors.Is(err, webhook.ErrNotFound) {
		t.Errorf("Replay = %v; want ErrNotFound", err)
	}
	if err := s.Finish(ctx(t), id, "t", delivered(1, base)); !errors.Is(err, webhook.ErrLeaseLost) {
		t.Errorf("Finish = %v; want ErrLeaseLost", err)
	}
	if dis, err := s.EndpointDisabled(ctx(t), "https://never.example.com/"); err != nil || dis {
		t.Errorf("EndpointDisabled of an unknown endpoint = %v, %v", dis, err)
	}
}
