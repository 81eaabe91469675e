package redisstore

import (
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/storetest"
)

func TestConformance(t *testing.T) {
	c := testClient(t)
	prefix := testPrefix(t, c)
	storetest.Run(t, func(t *testing.T) ratelimit.Store {
		return mustNew(t, c, WithPrefix(prefix))
	})
}
