package idempg_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency/idemtest"
)

// TestSharedStoreIntegration runs three middleware instances on one
// PostgreSQL store and sends 200 concurrent identical requests spread over
// them: the handler runs exactly once, and every response is the original
// replayed byte for byte or a 409 (see idemtest.RunMiddlewareRace).
func TestSharedStoreIntegration(t *testing.T) {
	idemtest.RunMiddlewareRace(t, newStore(t, newPool(t, nil)))
}
