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

// TestReplayAcrossConfigurations replays, through a middleware with other
// options, responses stored by one configured differently: the record
// carries its own header names and sizes.
func TestReplayAcrossConfigurations(t *testing.T) {
	tests := []struct {
		name     string
		length   int  // body length
		declared bool // the handler sets Content-Length
	}{
		{"empty body", 0, false},
		{"small body", 44, false},
		{"body past the initial capacity", 5000, false},
		{"declared length", 3000, true},
		{"declared length understated", 3000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemoryStore()
			defer store.Close()
			body := strings.Repeat("b", tt.length)
			runs := 0
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				runs++
				w.Header().Set("X-Custom", "one")
				w.Header().Add("X-Custom", "two")
				w.Header().Set("Content-Type", "text/plain")
				if tt.declared {
					w.Header().Set("Content-Length", strconv.Itoa(tt.length))
				} else if tt.name == "declared length understated" {
					w.Header().Set("Content-Length", "10")
				}
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(body[:len(body)/2]))
				_, _ = w.Write([]byte(body[len(body)/2:]))
			})
			first := mustNew(store, idempotency.WithReplayHeaders("X-Custom", "Content-Type"))(h)
			second := mustNew(store)(h)
			do := func(hh http.Handler) *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodPost, "/things", strings.NewReader("{}"))
				r.Header.Set("Idempotency-Key", "k")
				r.Header.Set("Authorization", testCaller)
				w := httptest.NewRecorder()
				hh.ServeHTTP(w, r)
				return w
			}
			do(first)
			w := do(second)
			if runs != 1 {
				t.Fatalf("handler ran %d times", runs)
			}
			want := map[string][]string{
				"X-Custom":            {"one", "two"},
				"Content-Type":        {"text/plain"},
				"Content-Length":      {strconv.Itoa(tt.length)},
				"Idempotent-Replayed": {"true"},
			}
			if w.Code != http.StatusCreated || w.Body.String() != body {
				t.Fatalf("replay: %d, %d bytes", w.Code, w.Body.Len())
			}
			if len(w.Header()) != len(want) {
				t.Errorf("replayed headers %v, want %v", w.Header(), want)
			}
			for name, vs := range want {
				if got := w.Header()[name]; strings.Join(got, "|") != strings.Join(vs, "|") {
					t.Errorf("%s = %q, want %q", name, got, vs)
				}
			}
			// The replayed value lists are independent of each other.
			w.Header()["X-Custom"] = append(w.Header()["X-Custom"], "three")
			if got := w.Header().Get("Content-Type"); got != "text/plain" {
				t.Errorf("appending to one header changed another: Content-Type %q", got)
			}
		})
	}
}

// TestReplayAllocs: replaying a stored response with a body of three-digit
// length and two stored headers allocates once, for the header values and
// the Content-Length together.
func TestReplayAllocs(t *testing.T) {
	store := newMemoryStore()
	defer store.Close()
	body := strings.Repeat("x", 278)
	h := mustNew(store)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/referrals/ref_1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, body)
	}))
	r := httptest.NewRequest(http.MethodPost, "/referrals", nil)
	r.Header.Set("Authorization", "Bearer tok_abc")
	r.Header.Set("Idempotency-Key", "k-1")
	w := &benchWriter{h: http.Header{}}
	serve := func() {
		w.reset()
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader("")), 0
		h.ServeHTTP(w, r)
	}
	serve()
	n := testing.AllocsPerRun(100, serve)
	if w.status != http.StatusCreated || w.n != len(body) || w.h.Get("Content-Length") != "278" || w.h.Get("Idempotent-Replayed") != "true" || w.h.Get("Location") != "/referrals/ref_1" {
		t.Fatalf("replay: %d, %d bytes, headers %v", w.status, w.n, w.h)
	}
	// Two of them are the test's own body reader.
	if n > 3 && !raceEnabled {
		t.Errorf("a replay allocates %v times, want 1 (plus the test's 2)", n)
	}
}
