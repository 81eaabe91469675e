package webhook_test

import (
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hooktest"
)

func memoryStore(b *testing.B) *webhook.MemoryStore {
	s, err := webhook.NewMemoryStore(webhook.WithMaxEntries(10_000_000))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkEnqueue(b *testing.B) { hooktest.BenchmarkEnqueue(b, memoryStore(b)) }

func BenchmarkDeliver(b *testing.B) {
	for _, w := range []int{1, 16} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) { hooktest.BenchmarkDeliver(b, memoryStore(b), w) })
	}
}
