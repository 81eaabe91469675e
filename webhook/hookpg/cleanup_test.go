package hookpg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
)

func TestDeleteDelivered(t *testing.T) {
	pool := newPool(t)
	s := newStore(t, pool)
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"done", "waiting"} {
		if _, err := s.Enqueue(ctx, webhook.Message{ID: id, Endpoint: "https://example.com/", Payload: []byte(`{}`), CreatedAt: now, NextAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	m, ok, err := s.Lease(ctx, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: "t"})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := s.Finish(ctx, m.ID, "t", webhook.Result{Attempt: webhook.Attempt{Number: 1, At: now, Status: 200}, State: webhook.Delivered}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteDelivered(ctx, now.Add(-time.Second), 10); err != nil || n != 0 {
		t.Fatalf("DeleteDelivered before the delivery = %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteDelivered(ctx, now.Add(time.Second), 10); err != nil || n != 1 {
		t.Fatalf("DeleteDelivered = %d, %v; want 1", n, err)
	}
	if _, err := s.Attempts(ctx, m.ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("attempts of a deleted message: %v", err)
	}
	other := "waiting"
	if m.ID == "waiting" {
		other = "done"
	}
	if got, err := s.Message(ctx, other); err != nil || got.State != webhook.Pending {
		t.Fatalf("pending message: %+v, %v", got, err)
	}
	if _, err := s.DeleteDelivered(ctx, now, 0); err == nil {
		t.Fatal("limit 0 accepted")
	}
}
