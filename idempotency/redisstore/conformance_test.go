package redisstore_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/idempotency/redisstore"
	"github.com/apikit-go/apikit/idempotency/storetest"
)

func TestConformance(t *testing.T) {
	c := newClient(t)
	prefix := testPrefix(t, c)
	storetest.Run(t, func(t *testing.T) idempotency.Store {
		return redisstore.New(c, redisstore.WithPrefix(prefix))
	})
}
