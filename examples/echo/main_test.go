package main

import (
	"testing"

	"github.com/apikit-go/apikit/internal/routertest"
)

// TestAPI checks the example against the contract every router example
// meets (internal/routertest).
func TestAPI(t *testing.T) { routertest.Run(t, newAPI) }
