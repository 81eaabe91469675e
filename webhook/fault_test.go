package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
)

// flaky is a Store whose Finish fails as its plan says: for each call,
// "apply+fail" applies the Finish and then reports an error (a reply lost
// after the commit), "fail" reports an error without applying it.
type flaky struct {
	*webhook.MemoryStore
	mu   sync.Mutex
	plan []string
}

var errFlaky = errors.New("store: connection reset")

func (f *flaky) Finish(ctx context.Context, id, token string, r webhook.Result) error {
	f.mu.Lock()
	step := ""
	if len(f.plan) > 0 {
		step, f.plan = f.plan[0], f.plan[1:]
	}
	f.mu.Unlock()
	switch step {
	case "apply+fail":
		_ = f.MemoryStore.Finish(ctx, id, token, r)
		return errFlaky
	case "fail":
		return errFlaky
	}
	return f.MemoryStore.Finish(ctx, id, token, r)
}

// A Finish whose reply is lost is repeated and takes effect once.
func TestFinishRetriedOnce(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	s := &flaky{MemoryStore: newMemory(t), plan: []string{"apply+fail"}}
	d := run(t, s)
	id := enqueue(t, d, srv.URL, `{}`)
	m := wait(t, d, id, webhook.Delivered)
	as, _ := d.Attempts(context.Background(), id)
	if m.Attempts != 1 || len(as) != 1 || hits.Load() != 1 {
		t.Fatalf("attempts %d, records %d, requests %d; want 1 each", m.Attempts, len(as), hits.Load())
	}
}

// When the store cannot record an attempt, the lease runs out and the
// message is attempted again, with the same id: at least once.
func TestUnrecordedAttemptIsRedelivered(t *testing.T) {
	var (
		mu  sync.Mutex
		ids []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("Webhook-Id"))
		mu.Unlock()
	}))
	defer srv.Close()
	s := &flaky{MemoryStore: newMemory(t), plan: []string{"fail", "fail", "fail"}}
	var unrecorded atomic.Int64
	d := run(t, s, webhook.WithTimeout(100*time.Millisecond), webhook.WithStoreTimeout(100*time.Millisecond),
		webhook.WithLease(400*time.Millisecond), webhook.WithObserver(func(e webhook.Event) {
			if e.Outcome == webhook.OutcomeUnrecorded {
				unrecorded.Add(1)
			}
		}))
	id := enqueue(t, d, srv.URL, `{}`)
	wait(t, d, id, webhook.Delivered)
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] != id || ids[1] != id || unrecorded.Load() != 1 {
		t.Fatalf("requests %v, unrecorded %d; want the message twice with its id, one unrecorded", ids, unrecorded.Load())
	}
}

// errStore fails every Lease: workers wait out the poll interval instead
// of spinning.
type errStore struct {
	*webhook.MemoryStore
	leases atomic.Int64
}

func (e *errStore) Lease(context.Context, webhook.LeaseRequest) (webhook.Message, bool, error) {
	e.leases.Add(1)
	return webhook.Message{}, false, errFlaky
}

func TestStoreDownDoesNotSpin(t *testing.T) {
	s := &errStore{MemoryStore: newMemory(t)}
	run(t, s, webhook.WithWorkers(2), webhook.WithPollInterval(50*time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	if n := s.leases.Load(); n > 20 {
		t.Fatalf("%d leases in 300ms with a 50ms poll; want workers to wait", n)
	}
}
