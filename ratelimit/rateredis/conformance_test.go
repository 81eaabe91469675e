package rateredis

import (
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/ratelimit/ratetest"
)

func TestConformance(t *testing.T) {
	c := testClient(t)
	prefix := testPrefix(t, c)
	ratetest.Run(t, func(t *testing.T) ratelimit.Store {
		return mustNew(t, c, WithPrefix(prefix))
	})
}
