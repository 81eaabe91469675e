package idempotency_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apikit-go/apikit/idempotency"
)

// testServer is a middleware under test around a handler that counts its
// runs.
type testServer struct {
	store idempotency.Store
	h     http.Handler
	runs  atomic.Int64
}

func newTestServer(t *testing.T, handler http.HandlerFunc, opts ...idempotency.Option) *testServer {
	t.Helper()
	s := newMemoryStore()
	t.Cleanup(func() { _ = s.Close() })
	return newTestServerStore(t, s, handler, opts...)
}

func newTestServerStore(t *testing.T, store idempotency.Store, handler http.HandlerFunc, opts ...idempotency.Option) *testServer {
	t.Helper()
	ts := &testServer{store: store}
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Location", "/orders/1")
			w.Header().Set("Set-Cookie", "session=secret")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"echo":"`+string(b)+`"}`)
		}
	}
	ts.h = mustNew(ts.store, opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.runs.Add(1)
		handler(w, r)
	}))
	return ts
}

type req struct {
	method, target, body string
	header               http.Header
	remote               string
	ctx                  context.Context
}

func (ts *testServer) do(rq req) *httptest.ResponseRecorder {
	if rq.method == "" {
		rq.method = http.MethodPost
	}
	if rq.target == "" {
		rq.target = "/orders"
	}
	r := httptest.NewRequest(rq.method, rq.target, strings.NewReader(rq.body))
	if rq.remote != "" {
		r.RemoteAddr = rq.remote
	}
	if rq.ctx != nil {
		r = r.WithContext(rq.ctx)
	}
	for k, vs := range rq.header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	return w
}

// testCaller is the credential keyHeader sends: the default scope refuses
// requests that carry a key but no credentials.
const testCaller = "Bearer test-caller"

// keyHeader returns the headers of an authenticated caller's request with
// the given Idempotency-Key values.
func keyHeader(v ...string) http.Header {
	return http.Header{"Idempotency-Key": v, "Authorization": {testCaller}}
}

func TestFirstRequestThenReplay(t *testing.T) {
	ts := newTestServer(t, nil)
	first := ts.do(req{body: "a", header: keyHeader("k1")})
	if first.Code != http.StatusCreated || first.Header().Get(idempotency.ReplayedHeader) != "" {
		t.Fatalf("first: %d %v", first.Code, first.Header())
	}
	second := ts.do(req{body: "a", header: keyHeader("k1")})
	if second.Code != http.StatusCreated {
		t.Fatalf("replay status = %d", second.Code)
	}
	if got := second.Body.String(); got != first.Body.String() {
		t.Fatalf("replay body = %q, want %q", got, first.Body.String())
	}
	for _, h := range []string{"Content-Type", "Location"} {
		if second.Header().Get(h) != first.Header().Get(h) {
			t.Fatalf("replayed %s = %q, want %q", h, second.Header().Get(h), first.Header().Get(h))
		}
	}
	if second.Header().Get("Set-Cookie") != "" {
		t.Fatal("Set-Cookie was replayed")
	}
	if second.Header().Get(idempotency.ReplayedHeader) != "true" {
		t.Fatal("replay lacks Idempotent-Replayed: true")
	}
	if n := ts.runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}
