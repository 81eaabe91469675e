package version_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apikit-go/apikit/version"
)

// nopWriter is a ResponseWriter that keeps nothing but its header.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

var nop = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})

func BenchmarkNegotiatorHandler(b *testing.B) {
	n, _ := version.NewNegotiator([]string{"2025-01-01", "2025-06-01", "2025-09-01"})
	h := n.Handler(nop)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("API-Version", "2025-06-01")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(&nopWriter{h: http.Header{}}, r)
	}
}

func BenchmarkDeprecationHandler(b *testing.B) {
	d, _ := version.NewDeprecation(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
		version.WithSunset(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)),
		version.WithSuccessor("/v2/patients"),
		version.WithClock(func() time.Time { return time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC) }))
	h := d.Handler(nop)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(&nopWriter{h: http.Header{}}, r)
	}
}
