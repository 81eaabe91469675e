package hooktest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/webhook"
)

// BenchmarkEnqueue measures Dispatcher.Enqueue of a 200-byte payload into
// s, each with a new id.
func BenchmarkEnqueue(b *testing.B, s webhook.Store) {
	d, err := webhook.New(s, []string{Secret})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 200)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.Enqueue(ctx, webhook.Message{Endpoint: "https://example.com/hook", Type: "bench", Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeliver enqueues b.N messages to one local receiver that
// answers 204 at once, then measures how long a Dispatcher with workers
// workers takes to deliver them all, reported as deliveries/s.
func BenchmarkDeliver(b *testing.B, s webhook.Store, workers int) {
	var got atomic.Int64
	done := make(chan struct{})
	n := int64(b.N)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got.Add(1) == n {
			close(done)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	d, err := webhook.New(s, []string{Secret}, webhook.WithAllowPrivateNetworks(),
		webhook.WithWorkers(workers), webhook.WithEndpointConcurrency(workers),
		webhook.WithPollInterval(10*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 200)
	ctx := context.Background()
	for i := range b.N {
		if _, err := d.Enqueue(ctx, webhook.Message{Endpoint: srv.URL + "/hook", ID: "bench_" + strconv.Itoa(i) + "_" + strconv.FormatInt(time.Now().UnixNano(), 36), Payload: payload}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	if err := d.Start(); err != nil {
		b.Fatal(err)
	}
	<-done
	el := time.Since(start)
	b.StopTimer()
	_ = d.Shutdown(ctx)
	b.ReportMetric(float64(b.N)/el.Seconds(), "deliveries/s")
}
