package idempotency_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/problem"
)

// withAPIWriter does what the envelope middleware does for every request:
// it puts the API's error writer in the request's context.
func withAPIWriter(wr *envelope.Writer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(problem.ContextWithWriter(r.Context(), wr)))
	})
}

// TestErrorsInTheAPIsDialect: a middleware given no error writer answers
// its 4xx in the dialect of the writer in the request's context, and an
// explicit WithErrorWriter still wins.
func TestErrorsInTheAPIsDialect(t *testing.T) {
	store := newMemoryStore()
	defer store.Close()
	std := envelope.New(envelope.Standard())
	created := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	tests := []struct {
		name     string
		opts     []idempotency.Option
		wrap     bool
		key      string
		body     string
		status   int
		standard bool // the standard envelope, else RFC 9457
	}{
		{"missing key, standard dialect", nil, true, "", "{}", 400, true},
		{"invalid key, standard dialect", nil, true, "a,b", "{}", 400, true},
		{"mismatch, standard dialect", nil, true, "k1", `{"b":2}`, 422, true},
		{"missing key, no writer anywhere", nil, false, "", "{}", 400, false},
		{"explicit writer wins", []idempotency.Option{idempotency.WithErrorWriter(problem.Writer{})}, true, "", "{}", 400, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := idempotency.New(store, append(tc.opts, idempotency.WithRequireKey())...)
			if err != nil {
				t.Fatal(err)
			}
			h := m.Handler(created)
			if tc.wrap {
				h = withAPIWriter(std, h)
			}
			// A first request with key k1, so that k1 with another body
			// is a mismatch.
			first := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(`{"b":1}`))
			first.Header.Set("Authorization", "Bearer "+tc.name)
			first.Header.Set("Idempotency-Key", "k1")
			h.ServeHTTP(httptest.NewRecorder(), first)

			r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(tc.body))
			r.Header.Set("Authorization", "Bearer "+tc.name)
			if tc.key != "" {
				r.Header.Set("Idempotency-Key", tc.key)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			var doc map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			_, isStandard := doc["success"]
			ct := w.Header().Get("Content-Type")
			if isStandard != tc.standard || (tc.standard == (ct == problem.ContentType)) {
				t.Fatalf("standard envelope %v (Content-Type %s), want %v: %s", isStandard, ct, tc.standard, w.Body)
			}
		})
	}
}
