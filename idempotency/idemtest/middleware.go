package idemtest

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
)

// RunMiddlewareRace checks that store keeps idempotency across replicas:
// it runs three middleware instances, each its own HTTP server, on store
// and sends 200 concurrent identical requests spread over them. The
// handler must run exactly once, and every response must be either the
// original replayed byte for byte or a 409; once the first request is done,
// a retry on every instance must be a replay.
//
// The handler takes 20 ms, so that duplicates arrive while it runs. Keys
// are random per call, so a store backed by a shared server needs no
// cleaning between runs.
func RunMiddlewareRace(t *testing.T, store idempotency.Store) {
	t.Helper()
	const (
		requests  = 200
		instances = 3
		reqBody   = `{"sku":"a","qty":1}`
	)
	var (
		runs     atomic.Int64
		original atomic.Value // the body the handler wrote
	)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		body := fmt.Sprintf(`{"id":"ord_%s"}`, rand.Text())
		original.Store(body)
		time.Sleep(20 * time.Millisecond) // let duplicates arrive while it runs
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", "/orders/1")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, body)
	})
	var servers []*httptest.Server
	for range instances {
		m, err := idempotency.New(store)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(m.Handler(handler))
		defer srv.Close()
		servers = append(servers, srv)
	}
	key := "order-" + rand.Text()
	send := func(srv *httptest.Server) (*http.Response, []byte, error) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/orders", strings.NewReader(reqBody))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer partner-1")
		req.Header.Set("Idempotency-Key", key)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}

	type result struct {
		status   int
		body     string
		location string
		replayed string
		err      error
	}
	results := make([]result, requests)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			<-start
			resp, b, err := send(servers[i%instances])
			if resp == nil {
				results[i].err = err
				return
			}
			results[i] = result{resp.StatusCode, string(b), resp.Header.Get("Location"), resp.Header.Get(idempotency.ReplayedHeader), err}
		})
	}
	close(start)
	wg.Wait()

	if n := runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want exactly once", n)
	}
	want, _ := original.Load().(string)
	counts := map[string]int{}
	for i, r := range results {
		switch {
		case r.err != nil:
			t.Fatalf("request %d: %v", i, r.err)
		case r.status == http.StatusConflict:
			counts["409"]++
		case r.status == http.StatusCreated && r.body == want && r.location == "/orders/1":
			if r.replayed == "true" {
				counts["replayed"]++
			} else {
				counts["original"]++
			}
		default:
			t.Fatalf("request %d: %d %q (Location %q), want 201 %q or 409", i, r.status, r.body, r.location, want)
		}
	}
	if counts["original"] != 1 {
		t.Errorf("%d responses came from running the handler, want 1", counts["original"])
	}
	t.Logf("over %d instances: %d original, %d replayed, %d conflicts", instances, counts["original"], counts["replayed"], counts["409"])

	// Once the first request is done, every retry is a replay.
	for i, srv := range servers {
		resp, b, err := send(srv)
		if resp == nil || err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || string(b) != want || resp.Header.Get(idempotency.ReplayedHeader) != "true" {
			t.Errorf("retry on instance %d: %d %q replayed=%q, want the replayed original", i, resp.StatusCode, b, resp.Header.Get(idempotency.ReplayedHeader))
		}
	}
}

// RunFrozenServer checks what a keyed request costs when the server
// behind store stops answering in the middle of the claim (a frozen host,
// a network partition): freeze(true) must make it stop, freeze(false)
// bring it back. The middleware, with a 100 ms store timeout, must answer
// 503 with Retry-After within 500 ms and must not run the handler. A
// store's tests put a fault proxy between the store's client and the
// server and freeze that.
func RunFrozenServer(t *testing.T, store idempotency.Store, freeze func(frozen bool)) {
	t.Helper()
	m, err := idempotency.New(store, idempotency.WithStoreTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int64
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { runs.Add(1) }))
	freeze(true)
	defer freeze(false)
	r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("{}"))
	r.Header.Set("Authorization", "Bearer partner-1")
	r.Header.Set("Idempotency-Key", "frozen-"+rand.Text())
	w := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(w, r)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("answered after %v; want about the 100ms store timeout", d)
	}
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if runs.Load() != 0 {
		t.Fatal("the handler ran although the claim did not answer")
	}
}
