package idempotency_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
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

// benchWriter is a ResponseWriter reused between iterations: it keeps the
// status and counts the body, like a server's writer, without the copies
// httptest.ResponseRecorder makes.
type benchWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header { return w.h }
func (w *benchWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *benchWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

func (w *benchWriter) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(s)
	return len(s), nil
}

func (w *benchWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

// benchBodyReader is a request body reused between iterations.
type benchBodyReader struct{ strings.Reader }

func (*benchBodyReader) Close() error { return nil }

// BenchmarkMiddleware measures the middleware's per-request cost with the
// memory store: "baseline" is the handler alone, "first" a new key every
// request (claim, run, store), "replay" the same key (claim, replay). The
// request and the writer are made once and reset every iteration, so no
// set-up cost hides the middleware's; every case builds the same key
// string, so that cost is in all three.
func BenchmarkMiddleware(b *testing.B) {
	store := newMemoryStore() // 64 MiB: the first requests evict old records as a busy store does
	defer store.Close()
	mw := mustNew(store)
	cases := []struct {
		name  string
		h     http.Handler
		fixed bool // same key every time
	}{
		{"case=baseline", benchHandler(), false},
		{"case=first", mw(benchHandler()), false},
		{"case=replay", mw(benchHandler()), true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodPost, "/referrals", nil)
			r.Header.Set("Authorization", "Bearer tok_abc")
			r.Header.Set("Idempotency-Key", "bench-key")
			keyValue := r.Header["Idempotency-Key"]
			var body benchBodyReader
			w := &benchWriter{h: http.Header{}}
			var buf []byte
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				buf = strconv.AppendInt(append(buf[:0], tc.name...), int64(i), 10)
				key := string(buf)
				if tc.fixed {
					key = "bench-key"
				}
				keyValue[0] = key
				body.Reset(benchBody)
				r.Body, r.GetBody, r.ContentLength = &body, nil, int64(len(benchBody))
				w.reset()
				tc.h.ServeHTTP(w, r)
				if w.status != http.StatusCreated {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}
