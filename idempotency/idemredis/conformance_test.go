package idemredis_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/idempotency/idemtest"
)

func TestConformance(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	idemtest.Run(t, func(t *testing.T) idempotency.Store {
		return mustNew(c, idemredis.WithPrefix(prefix))
	})
}
