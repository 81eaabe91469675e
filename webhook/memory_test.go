package webhook_test

import (
	"testing"

	"github.com/apikit-go/apikit/webhook"
	"github.com/apikit-go/apikit/webhook/hooktest"
)

func TestMemoryStoreConformance(t *testing.T) {
	hooktest.Run(t, func(t *testing.T) webhook.Store {
		s, err := webhook.NewMemoryStore()
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
