package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/client"
)

// windowLimiter is a server allowing limit requests per wall-clock second,
// reporting X-RateLimit-* fields, and recording when it refused.
type windowLimiter struct {
	limit   int
	mu      sync.Mutex
	sec     int64
	used    int
	ok      int
	refused []time.Time
}

func (l *windowLimiter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	l.mu.Lock()
	if s := now.Unix(); s != l.sec {
		l.sec, l.used = s, 0
	}
	l.used++
	used := l.used
	if used > l.limit {
		l.refused = append(l.refused, now)
	} else {
		l.ok++
	}
	l.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(l.limit-used, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+1, 10))
	if used > l.limit {
		h.Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// TestPacingManyGoroutines: 50 goroutines share one transport against a
// 10/s limit. The first burst meets 429s; after the first reset the
// transport holds requests until each reset, and the server refuses none.
func TestPacingManyGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 4s")
	}
	lim := &windowLimiter{limit: 10}
	srv := httptest.NewServer(lim)
	defer srv.Close()
	// Start just after a second boundary so the first window is whole.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
	start := time.Now()
	firstReset := start.Truncate(time.Second).Add(time.Second)
	tr, err := client.NewTransport(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: tr}
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(3500*time.Millisecond))
	defer cancel()
	var sent atomic.Int64
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
				resp, err := hc.Do(req)
				if err != nil {
					return // the deadline, or no quota before it
				}
				sent.Add(1)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	lim.mu.Lock()
	defer lim.mu.Unlock()
	late := 0
	for _, at := range lim.refused {
		if !at.Before(firstReset) {
			late++
		}
	}
	t.Logf("50 goroutines, 10/s, 3.5s: %d answered 200, %d refused before the first reset, %d after", lim.ok, len(lim.refused)-late, late)
	if late > 0 {
		t.Fatalf("%d requests refused after the first reset; want none", late)
	}
	if lim.ok < 25 {
		t.Fatalf("only %d requests succeeded in 3.5s at 10/s; pacing is too cautious", lim.ok)
	}
}

// TestQuotaExhaustedReturnsLastAnswer: the server asks for a 1s wait, but
// its quota resets only after the context deadline: the transport does
// not send again, and the caller gets the 429 it was given.
func TestQuotaExhaustedReturnsLastAnswer(t *testing.T) {
	body := `{"title":"Too Many Requests","status":429}`
	srv := script(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.Header().Set("X-RateLimit-Limit", "10")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(body))
	})
	tr, err := client.NewTransport(nil, client.WithSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("err %v; want the 429", err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || string(got) != body || len(srv.requests()) != 1 {
		t.Fatalf("status %d body %q after %d requests; want the 429 after 1", resp.StatusCode, got, len(srv.requests()))
	}
	// A new request is not sent at all.
	req, _ = http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	if _, err := tr.RoundTrip(req); !errors.Is(err, client.ErrQuotaExhausted) || len(srv.requests()) != 1 {
		t.Fatalf("err %v after %d requests; want ErrQuotaExhausted and no request", err, len(srv.requests()))
	}
}
