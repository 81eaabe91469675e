package redisstore_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency/redisstore"
	"github.com/apikit-go/apikit/idempotency/storetest"
)

// TestSharedStoreIntegration runs three middleware instances on one Redis
// store and sends 200 concurrent identical requests spread over them: the
// handler runs exactly once, and every response is the original replayed
// byte for byte or a 409 (see storetest.RunMiddlewareRace).
func TestSharedStoreIntegration(t *testing.T) {
	c := newClient(t)
	storetest.RunMiddlewareRace(t, redisstore.New(c, redisstore.WithPrefix(testPrefix(t, c))))
}
