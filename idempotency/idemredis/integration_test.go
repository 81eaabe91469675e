package idemredis_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency/idemredis"
	"github.com/apikit-go/apikit/idempotency/idemtest"
)

// TestSharedStoreIntegration runs three middleware instances on one Redis
// store and sends 200 concurrent identical requests spread over them: the
// handler runs exactly once, and every response is the original replayed
// byte for byte or a 409 (see idemtest.RunMiddlewareRace).
func TestSharedStoreIntegration(t *testing.T) {
	c := newClient(t)
	idemtest.RunMiddlewareRace(t, mustNew(c, idemredis.WithPrefix(testPrefix(t, c))))
}
