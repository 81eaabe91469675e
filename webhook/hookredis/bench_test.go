package hookredis_test

import (
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/webhook/hooktest"
)

func BenchmarkEnqueue(b *testing.B) {
	c := newClient(b)
	hooktest.BenchmarkEnqueue(b, newStore(b, c))
}

func BenchmarkDeliver(b *testing.B) {
	c := newClient(b)
	for _, w := range []int{1, 16} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) { hooktest.BenchmarkDeliver(b, newStore(b, c), w) })
	}
}
