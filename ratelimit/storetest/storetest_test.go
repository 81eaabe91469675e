package storetest_test

import (
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) ratelimit.Store {
		s := ratelimit.NewMemoryStore()
		t.Cleanup(func() { s.Close() })
		return s
	})
}
