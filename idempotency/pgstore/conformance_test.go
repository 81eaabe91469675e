package pgstore_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/storetest"
)

func TestConformance(t *testing.T) {
	pool := newPool(t, nil)
	s := newStore(t, pool)
	storetest.Run(t, func(t *testing.T) idempotency.Store { return s })
}
