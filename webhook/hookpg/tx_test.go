package hookpg_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
)

// An enqueue rolled back with its transaction is never sent; one
// committed with it is.
func TestEnqueueInTransaction(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	var got atomic.Int64
	var lastID atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		lastID.Store(r.Header.Get("Webhook-Id"))
	}))
	t.Cleanup(srv.Close)
	d, err := webhook.New(s, []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		webhook.WithAllowedURLs(srv.URL+"/hook"), webhook.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Shutdown(context.Background()) })
	ctx := context.Background()

	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rolledBack, err := d.Enqueue(hookpg.WithTx(ctx, tx), webhook.Message{Endpoint: srv.URL + "/hook", Payload: []byte(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	// Not visible outside the transaction, so not delivered before it ends.
	if _, err := d.Message(ctx, rolledBack); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("uncommitted message visible: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}

	tx, err = pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := d.Enqueue(hookpg.WithTx(ctx, tx), webhook.Message{Endpoint: srv.URL + "/hook", Payload: []byte(`{"n":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := d.Message(ctx, committed)
		if err == nil && m.State == webhook.Delivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed message not delivered: %+v, %v", m, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := got.Load(); n != 1 || lastID.Load() != committed {
		t.Fatalf("receiver got %d requests (last %v); want only the committed message", n, lastID.Load())
	}
	if _, err := d.Message(ctx, rolledBack); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("rolled-back message: %v; want ErrNotFound", err)
	}
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	pool := newPool(t)
	for _, opts := range [][]hookpg.Option{
		{hookpg.WithTable("bad-name")},
		{hookpg.WithTable("a_name_that_is_far_too_long_for_derived_tables")},
		{hookpg.WithTimeout(0)},
	} {
		if _, err := hookpg.New(pool, opts...); err == nil {
			t.Errorf("New accepted %d bad options", len(opts))
		}
	}
	if _, err := hookpg.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	for range 2 {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
