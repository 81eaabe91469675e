package pgstore_test

import (
	"testing"

	"github.com/apikit-go/apikit/idempotency/storetest"
)

// TestSharedStoreIntegration runs three middleware instances on one
// PostgreSQL store and sends 200 concurrent identical requests spread over
// them: the handler runs exactly once, and every response is the original
// replayed byte for byte or a 409 (see storetest.RunMiddlewareRace).
func TestSharedStoreIntegration(t *testing.T) {
	storetest.RunMiddlewareRace(t, newStore(t, newPool(t, nil)))
}
