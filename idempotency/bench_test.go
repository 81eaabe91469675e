package idempotency_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/idempotency"
)

const benchBody = `{"patient_id":"pat_123","provider_id":"prv_456","reason":"follow-up"}`

func benchHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/referrals/ref_1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"data":{"id":"ref_1","status":"received"}}`)
	})
}

// BenchmarkMiddleware measures the middleware's per-request cost with the
// memory store: "baseline" is the handler alone, "first" a new key every
// request (claim, run, store), "replay" the same key (claim, replay). All
// three build the same request, so the differences are the middleware's.
func BenchmarkMiddleware(b *testing.B) {
	store := newMemoryStore(idempotency.WithMaxEntries(1<<30), idempotency.WithMaxBytes(1<<40))
	defer store.Close()
	mw := mustNew(store)
	cases := []struct {
		name  string
		h     http.Handler
		fixed bool // same key every time
	}{
		{"baseline", benchHandler(), false},
		{"first", mw(benchHandler()), false},
		{"replay", mw(benchHandler()), true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				r := httptest.NewRequest(http.MethodPost, "/referrals", strings.NewReader(benchBody))
				key := "bench-key"
				if !tc.fixed {
					key = tc.name + strconv.Itoa(i)
				}
				r.Header.Set("Idempotency-Key", key)
				r.Header.Set("Authorization", "Bearer tok_abc")
				w := httptest.NewRecorder()
				tc.h.ServeHTTP(w, r)
				if w.Code != http.StatusCreated {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
