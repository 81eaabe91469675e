package signature_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

// downStore wraps a MemoryStore and fails while down is set.
type downStore struct {
	*signature.MemoryStore
	down atomic.Bool
}

func (d *downStore) Reserve(ctx context.Context, key, token string, until time.Time) (bool, error) {
	if d.down.Load() {
		return false, errors.New("store down")
	}
	return d.MemoryStore.Reserve(ctx, key, token, until)
}

// Issue 11, item 1: a store failure (503, from the replay store or from a
// store behind the verifier, such as idempotency's on the same Redis) must
// not spend the id; the sender's retry with the same id and a new
// timestamp succeeds. Before, the retry got 401 auth/replayed-request.
func TestStoreFailureDoesNotSpendID(t *testing.T) {
	clk := &clock{t: vecTime}
	store := &downStore{MemoryStore: mustMemory(t, signature.WithClock(clk.Now))}
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(clk.Now), signature.WithReplayStore(store))
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(clk.Now))
	var downstream atomic.Bool // the next middleware's store
	calls := 0
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if downstream.Load() {
			problem.Write(w, r, problem.ServiceUnavailable.New("store down"))
			return
		}
		calls++
	}))
	send := func() int {
		r := httptest.NewRequest(http.MethodPost, "/referrals", strings.NewReader(`{"n":1}`))
		r.Header.Set("webhook-id", "msg_retry")
		if err := s.SignRequest(r); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	store.down.Store(true)
	if got := send(); got != 503 {
		t.Fatalf("replay store down: status %d, want 503", got)
	}
	store.down.Store(false)
	clk.Advance(5 * time.Second)
	downstream.Store(true)
	if got := send(); got != 503 {
		t.Fatalf("downstream store down: status %d, want 503", got)
	}
	downstream.Store(false)
	clk.Advance(5 * time.Second)
	if got := send(); got != 200 || calls != 1 {
		t.Fatalf("retry after the store came back: status %d, handler ran %d times; want 200, 1", got, calls)
	}
	clk.Advance(5 * time.Second)
	if got := send(); got != 401 || calls != 1 {
		t.Fatalf("replay of an accepted message: status %d, handler ran %d times; want 401, 1", got, calls)
	}
}

// An id is spent only by an answer below 400; a 4xx, a 5xx or a panic
// gives it back, and a copy sent while the handler runs is refused.
func TestIDSpentOnlyWhenAccepted(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantAgain int // the status of the same signed message sent again
	}{
		{"200", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }, 401},
		{"no status written", func(w http.ResponseWriter, r *http.Request) {}, 401},
		{"body only", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }, 401},
		{"303", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(303) }, 401},
		{"103 then 200", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(103); w.WriteHeader(200) }, 401},
		{"400", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(400) }, 200},
		{"429", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(429) }, 200},
		{"409", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(409) }, 200},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, 200},
		{"503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, 200},
		{"panic", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
				signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection())
			first := true
			h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if first {
					first = false
					tt.handler(w, r)
				}
			}))
			serve := func() (code int) {
				defer func() {
					if recover() != nil {
						code = -1
					}
				}()
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecPayload))
				r.Header = vectorHeader(vecSignature)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code
			}
			serve()
			if got := serve(); got != tt.wantAgain {
				t.Fatalf("the same message again: status %d, want %d", got, tt.wantAgain)
			}
		})
	}
}

func TestIDHeldWhileHandlerRuns(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection())
	entered, proceed := make(chan struct{}), make(chan struct{})
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-proceed
		w.WriteHeader(503)
	}))
	req := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecPayload))
		r.Header = vectorHeader(vecSignature)
		return r
	}
	done := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req())
		done <- w.Code
	}()
	<-entered
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req())
	if w.Code != 401 || !strings.Contains(w.Body.String(), "auth/replayed-request") {
		t.Fatalf("copy sent while the first runs: %d %s", w.Code, w.Body)
	}
	close(proceed)
	if got := <-done; got != 503 {
		t.Fatalf("first: %d", got)
	}
	// Released after the 503: the next copy gets through (and the
	// handler's channel is closed, so it would panic: stop at the reserve).
	m, err := v.Verify(context.Background(), vectorHeader(vecSignature), []byte(vecPayload))
	if err != nil || m.ID != vecMsgID {
		t.Fatalf("after release: %+v, %v", m, err)
	}
}

// Issue 11, item 5: the verifier refuses the ids the signer refuses, with
// a 401 auth/invalid-signature, before computing any MAC.
func TestVerifierRefusesBadIDs(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection())
	for _, id := range []string{
		strings.Repeat("a", 257), strings.Repeat("a", 512<<10), "msg.1", "msg,1", "msg\x00", "msg\x1f1", "msg 1", "msg\x7f", "msg_é",
	} {
		h := vectorHeader(vecSignature)
		h.Set("webhook-id", id)
		_, err := v.Verify(context.Background(), h, []byte(vecPayload))
		wantProblem(t, err, signature.InvalidSignature)
		if !strings.Contains(problem.From(err).Detail, "not a valid message id") {
			t.Fatalf("id %.20q: detail %q", id, problem.From(err).Detail)
		}
	}
	h := vectorHeader(vecSignature)
	h.Set("webhook-id", strings.Repeat("a", 256)) // valid id, wrong signature
	_, err := v.Verify(context.Background(), h, []byte(vecPayload))
	if err == nil || strings.Contains(problem.From(err).Detail, "not a valid message id") {
		t.Fatalf("256-byte id: %v", err)
	}
}

// Issue 11, item 5: a record costs the same whatever the id: the store
// keeps a digest. Before, 400 ids of 512 KB kept 326 MB.
func TestMemoryStoreConstantSizePerEntry(t *testing.T) {
	perEntry := func(idLen int) float64 {
		m := mustMemory(t, signature.WithSweepInterval(0))
		until := time.Now().Add(time.Hour)
		const n = 2000
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%0*d", idLen, i)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for _, id := range ids {
			if ok, err := m.Reserve(context.Background(), id, tok(), until); !ok || err != nil {
				t.Fatal(ok, err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(ids)
		if m.Len() != n {
			t.Fatalf("Len = %d", m.Len())
		}
		return float64(after.HeapAlloc-before.HeapAlloc) / n
	}
	small, large := perEntry(16), perEntry(64<<10)
	t.Logf("bytes per record: 16-byte ids %.0f, 64 KiB ids %.0f", small, large)
	if large > 400 || large > 2*small+100 {
		t.Fatalf("a record of a 64 KiB id costs %.0f bytes (16-byte id: %.0f): the store keeps the id", large, small)
	}
}

// Issue 11, item 6: timestamps far in the future (beyond the ~292 years a
// time.Duration holds) were accepted, their records never expiring.
func TestFarTimestamps(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection())
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA})
	for _, ts := range []int64{
		0, 1, vecTimestamp - 301, vecTimestamp + 301, 1e10, 1e11, 1e12, 1e15, 9223372036, 9223372037,
		10_000_000_000_000_000, 999_999_999_999_999_999,
	} {
		h := http.Header{}
		if err := s.Sign(h, "msg_far", time.Unix(ts, 0), []byte("x")); err != nil {
			t.Fatal(err)
		}
		_, err := v.Verify(context.Background(), h, []byte("x"))
		wantProblem(t, err, signature.TimestampOutOfTolerance)
	}
	for _, ts := range []int64{vecTimestamp - 300, vecTimestamp + 300} {
		h := http.Header{}
		if err := s.Sign(h, fmt.Sprint("msg_", ts), time.Unix(ts, 0), []byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), h, []byte("x")); err != nil {
			t.Fatalf("ts %d at the edge: %v", ts, err)
		}
	}
}

// Many goroutines deliver copies of one message whose handler fails once:
// exactly one copy is accepted (runs with a 2xx) in the end.
func TestConcurrentRetriesAcceptedOnce(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection())
	var runs, failed, accepted atomic.Int32
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		if failed.CompareAndSwap(0, 1) {
			w.WriteHeader(503)
			return
		}
		accepted.Add(1)
	}))
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(vecPayload))
				r.Header = vectorHeader(vecSignature)
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 1 {
		t.Fatalf("accepted %d times (handler ran %d times), want once", accepted.Load(), runs.Load())
	}
}
