package idempg_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idemtest"
)

func TestConformance(t *testing.T) {
	pool := newPool(t, nil)
	s := newStore(t, pool)
	idemtest.Run(t, func(t *testing.T) idempotency.Store { return s })
}
