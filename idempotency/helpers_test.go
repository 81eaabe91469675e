package idempotency_test

import (
	"net/http"

	"github.com/apikit-go/apikit/idempotency"
)

// mustNew returns the middleware's Handler method, for tests whose options
// are known to be valid.
func mustNew(store idempotency.Store, opts ...idempotency.Option) func(http.Handler) http.Handler {
	m, err := idempotency.New(store, opts...)
	if err != nil {
		panic(err)
	}
	return m.Handler
}

// newMemoryStore is NewMemoryStore for options known to be valid.
func newMemoryStore(opts ...idempotency.Option) *idempotency.MemoryStore {
	s, err := idempotency.NewMemoryStore(opts...)
	if err != nil {
		panic(err)
	}
	return s
}
