package hookpg_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hookpg"
	"github.com/apikit-go/apikit/webhook/hooktest"
)

func BenchmarkEnqueue(b *testing.B) {
	pool := newPool(b)
	hooktest.BenchmarkEnqueue(b, newStore(b, pool))
}

// BenchmarkEnqueueTx measures a transaction that holds one Enqueue: BEGIN,
// the INSERT, COMMIT (the outbox pattern's own cost, without the business
// write).
func BenchmarkEnqueueTx(b *testing.B) {
	pool := newPool(b)
	d, err := webhook.New(newStore(b, pool), []string{hooktest.Secret})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 200)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		tx, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Enqueue(hookpg.WithTx(ctx, tx), webhook.Message{Endpoint: "https://example.com/hook", Payload: payload}); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeliver(b *testing.B) {
	pool := newPool(b)
	for _, w := range []int{1, 16} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) { hooktest.BenchmarkDeliver(b, newStore(b, pool), w) })
	}
}
