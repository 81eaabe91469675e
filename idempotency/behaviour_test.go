package idempotency_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/problem"
)

// code returns the problem code of an error response, "" for a success.
func code(w *httptest.ResponseRecorder) string {
	if w.Code < 400 {
		return ""
	}
	p := problem.Parse(w.Result())
	if p == nil {
		return "<unparsable>"
	}
	return p.Code
}

func TestKeyHeader(t *testing.T) {
	long := strings.Repeat("k", 255)
	tests := []struct {
		name    string
		method  string
		header  http.Header
		opts    []idempotency.Option
		want    int    // status of the first request
		code    string // problem code, if an error
		guarded bool   // a second identical request is a replay
	}{
		{"bare", "", keyHeader("abc-123"), nil, 201, "", true},
		{"quoted", "", keyHeader(`"abc-123"`), nil, 201, "", true},
		{"quoted with escapes", "", keyHeader(`"a\"b\\c"`), nil, 201, "", true},
		{"quoted with comma inside", "", keyHeader(`"a,b"`), nil, 201, "", true},
		{"surrounding whitespace", "", keyHeader("  abc \t"), nil, 201, "", true},
		{"255 characters", "", keyHeader(long), nil, 201, "", true},
		{"missing, optional", "", nil, nil, 201, "", false},
		{"missing, required", "", nil, []idempotency.Option{idempotency.WithRequireKey()}, 400, "idempotency/missing-key", false},
		{"empty", "", keyHeader(""), nil, 400, "idempotency/invalid-key", false},
		{"empty quoted", "", keyHeader(`""`), nil, 400, "idempotency/invalid-key", false},
		{"256 characters", "", keyHeader(long + "k"), nil, 400, "idempotency/invalid-key", false},
		{"repeated", "", keyHeader("a", "b"), nil, 400, "idempotency/invalid-key", false},
		{"repeated identical", "", keyHeader("a", "a"), nil, 400, "idempotency/invalid-key", false},
		{"bare list", "", keyHeader("a, b"), nil, 400, "idempotency/invalid-key", false},
		{"quoted list", "", keyHeader(`"a", "b"`), nil, 400, "idempotency/invalid-key", false},
		{"parameters", "", keyHeader(`"a";v=1`), nil, 400, "idempotency/invalid-key", false},
		{"unterminated quote", "", keyHeader(`"abc`), nil, 400, "idempotency/invalid-key", false},
		{"bad escape", "", keyHeader(`"a\nb"`), nil, 400, "idempotency/invalid-key", false},
		{"non-ASCII", "", keyHeader("clé"), nil, 400, "idempotency/invalid-key", false},
		{"control character", "", keyHeader("a\x01b"), nil, 400, "idempotency/invalid-key", false},
		{"uuid v4 accepted", "", keyHeader("3f1c2a9e-5b7d-4c1e-9a2b-8d6f0e4c3b21"),
			[]idempotency.Option{idempotency.WithValidator(idempotency.ValidateUUIDv4)}, 201, "", true},
		{"uuid v4 refuses ref_12345", "", keyHeader("ref_12345"),
			[]idempotency.Option{idempotency.WithValidator(idempotency.ValidateUUIDv4)}, 400, "idempotency/invalid-key", false},
		{"uuid v4 refuses v1", "", keyHeader("3f1c2a9e-5b7d-1c1e-9a2b-8d6f0e4c3b21"),
			[]idempotency.Option{idempotency.WithValidator(idempotency.ValidateUUIDv4)}, 400, "idempotency/invalid-key", false},
		{"plain validator error", "", keyHeader("x"),
			[]idempotency.Option{idempotency.WithValidator(func(string) error { return errors.New("nope") })}, 400, "idempotency/invalid-key", false},
		{"custom header", "", http.Header{"X-Request-Key": {"abc"}, "Authorization": {testCaller}},
			[]idempotency.Option{idempotency.WithKeyHeader("x-request-key")}, 201, "", true},
		{"default header ignored when renamed", "", keyHeader("abc"),
			[]idempotency.Option{idempotency.WithKeyHeader("X-Request-Key")}, 201, "", false},
		{"PATCH guarded", http.MethodPatch, keyHeader("abc"), nil, 201, "", true},
		{"PUT passes through", http.MethodPut, keyHeader("abc"), nil, 201, "", false},
		{"GET passes through an invalid key", http.MethodGet, keyHeader("a", "b"), nil, 201, "", false},
		{"GET passes through when required", http.MethodGet, nil, []idempotency.Option{idempotency.WithRequireKey()}, 201, "", false},
		{"configured PUT guarded", http.MethodPut, keyHeader("abc"), []idempotency.Option{idempotency.WithMethods(http.MethodPut)}, 201, "", true},
		{"configured methods drop POST", "", keyHeader("abc"), []idempotency.Option{idempotency.WithMethods(http.MethodPut)}, 201, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil, tc.opts...)
			rq := req{method: tc.method, body: "x", header: tc.header}
			w := ts.do(rq)
			if w.Code != tc.want || code(w) != tc.code {
				t.Fatalf("status %d code %q, want %d %q (body %s)", w.Code, code(w), tc.want, tc.code, w.Body)
			}
			if tc.want >= 400 {
				if ts.runs.Load() != 0 {
					t.Fatal("handler ran for a refused request")
				}
				if w.Header().Get("Content-Type") != problem.ContentType {
					t.Fatalf("Content-Type = %q", w.Header().Get("Content-Type"))
				}
				return
			}
			w2 := ts.do(rq)
			replayed := w2.Header().Get(idempotency.ReplayedHeader) == "true"
			if replayed != tc.guarded {
				t.Fatalf("second request replayed = %v, want %v", replayed, tc.guarded)
			}
			wantRuns := int64(2)
			if tc.guarded {
				wantRuns = 1
			}
			if n := ts.runs.Load(); n != wantRuns {
				t.Fatalf("handler ran %d times, want %d", n, wantRuns)
			}
		})
	}
}

func TestQuotedAndBareFormsAreTheSameKey(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.do(req{body: "x", header: keyHeader("abc")})
	w := ts.do(req{body: "x", header: keyHeader(`"abc"`)})
	if w.Header().Get(idempotency.ReplayedHeader) != "true" {
		t.Fatalf("quoted form of a bare key was not replayed: %d", w.Code)
	}
}

func TestScope(t *testing.T) {
	auth := func(v string) http.Header { h := keyHeader("k"); h.Set("Authorization", v); return h }
	tests := []struct {
		name         string
		opts         []idempotency.Option
		first, other req
		shared       bool
	}{
		{"different bearer tokens", nil, req{header: auth("Bearer alice")}, req{header: auth("Bearer bob")}, false},
		{"same bearer token", nil, req{header: auth("Bearer alice")}, req{header: auth("Bearer alice")}, true},
		{"same token, other address", nil, req{header: auth("Bearer alice"), remote: "10.0.0.1:1"}, req{header: auth("Bearer alice"), remote: "10.0.0.2:1"}, true},
		{"api key vs bearer token", nil, req{header: http.Header{"Idempotency-Key": {"k"}, "X-Api-Key": {"s"}}}, req{header: keyHeader("k")}, false},
		{"cookie vs other cookie", nil, req{header: http.Header{"Idempotency-Key": {"k"}, "Cookie": {"s=1"}}}, req{header: http.Header{"Idempotency-Key": {"k"}, "Cookie": {"s=2"}}}, false},
		{"custom scope, anonymous callers by device",
			[]idempotency.Option{idempotency.WithScope(func(r *http.Request) string { return r.Header.Get("X-Device-Id") })},
			req{header: http.Header{"Idempotency-Key": {"k"}, "X-Device-Id": {"d1"}}},
			req{header: http.Header{"Idempotency-Key": {"k"}, "X-Device-Id": {"d2"}}}, false},
		{"custom scope by tenant header",
			[]idempotency.Option{idempotency.WithScope(func(r *http.Request) string { return r.Header.Get("X-Tenant") })},
			req{header: http.Header{"Idempotency-Key": {"k"}, "X-Tenant": {"t1"}, "Authorization": {"a"}}},
			req{header: http.Header{"Idempotency-Key": {"k"}, "X-Tenant": {"t1"}, "Authorization": {"b"}}}, true},
		{"different paths are different routes", nil, req{target: "/a", header: keyHeader("k")}, req{target: "/b", header: keyHeader("k")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int64
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "response-"+string(rune('0'+n.Add(1))))
			}, tc.opts...)
			a := ts.do(tc.first)
			b := ts.do(tc.other)
			if a.Code != 200 || b.Code != 200 {
				t.Fatalf("statuses %d, %d", a.Code, b.Code)
			}
			if got := b.Body.String() == a.Body.String(); got != tc.shared {
				t.Fatalf("second caller got %q after %q; shared = %v, want %v", b.Body, a.Body, got, tc.shared)
			}
		})
	}
}

// TestAnonymousCaller shows that the default scope refuses a keyed request
// it cannot attribute to a caller, rather than share records between
// callers behind one address, and that requests without a key, or with a
// custom scope, are not affected.
func TestAnonymousCaller(t *testing.T) {
	anon := func(remote string) req {
		return req{body: "x", header: http.Header{"Idempotency-Key": {"k"}, "X-Device-Id": {"d1"}}, remote: remote}
	}
	byDevice := idempotency.WithScope(func(r *http.Request) string { return r.Header.Get("X-Device-Id") })
	tests := []struct {
		name   string
		opts   []idempotency.Option
		reqs   []req
		status []int
		code   string // problem code of every refused request
		runs   int64
		events []string
	}{
		{"with a key, refused", nil, []req{anon("192.0.2.1:1"), anon("192.0.2.1:1")},
			[]int{400, 400}, "idempotency/anonymous-caller", 0,
			[]string{"anonymous-caller", "anonymous-caller"}},
		{"with a key behind one proxy, never shared", nil, []req{anon("10.0.0.1:1"), anon("10.0.0.1:2")},
			[]int{400, 400}, "idempotency/anonymous-caller", 0,
			[]string{"anonymous-caller", "anonymous-caller"}},
		{"without a key, key optional", nil, []req{{body: "x"}, {body: "x"}},
			[]int{201, 201}, "", 2, nil},
		{"without a key, key required", []idempotency.Option{idempotency.WithRequireKey()}, []req{{body: "x"}},
			[]int{400}, "idempotency/missing-key", 0, []string{"missing-key"}},
		{"with a custom scope", []idempotency.Option{byDevice}, []req{anon("192.0.2.1:1"), anon("192.0.2.1:1")},
			[]int{201, 201}, "", 1, []string{"acquired", "stored", "replayed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev events
			var written []error
			ew := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
				written = append(written, err)
				problem.Writer{}.WriteError(w, r, err)
			})
			opts := append([]idempotency.Option{idempotency.WithObserver(ev.observer()), idempotency.WithErrorWriter(ew)}, tc.opts...)
			ts := newTestServer(t, nil, opts...)
			refused := 0
			for i, rq := range tc.reqs {
				w := ts.do(rq)
				if w.Code != tc.status[i] {
					t.Fatalf("request %d: status %d, want %d (body %s)", i, w.Code, tc.status[i], w.Body)
				}
				if w.Code >= 400 {
					refused++
					if code(w) != tc.code || w.Header().Get("Content-Type") != problem.ContentType {
						t.Fatalf("request %d: code %q Content-Type %q, want %q", i, code(w), w.Header().Get("Content-Type"), tc.code)
					}
				}
			}
			if n := ts.runs.Load(); n != tc.runs {
				t.Fatalf("handler ran %d times, want %d", n, tc.runs)
			}
			if len(written) != refused {
				t.Fatalf("error writer called %d times for %d refusals", len(written), refused)
			}
			for _, err := range written {
				if p := problem.From(err); p.Code != tc.code {
					t.Fatalf("error writer got %v, want code %q", err, tc.code)
				}
			}
			if got := ev.events(); !slices.Equal(got, tc.events) {
				t.Fatalf("events %v, want %v", got, tc.events)
			}
			if tc.code == "idempotency/anonymous-caller" && len(ev.calls()) != 0 {
				t.Fatalf("refused anonymous requests reached the store: %v", ev.calls())
			}
		})
	}
}

func TestDefaultScopeAnonymous(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/orders", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	if s := idempotency.DefaultScope(r); s != "" {
		t.Fatalf("DefaultScope = %q, want \"\" (unknown caller)", s)
	}
	if !slices.ContainsFunc(idempotency.Definitions(), func(d problem.Definition) bool { return d.Code() == "idempotency/anonymous-caller" }) {
		t.Fatal("Definitions does not list AnonymousCaller")
	}
}

// TestScopeUnknown: a scope function that cannot name the caller ("")
// refuses the keyed request without running it.
func TestScopeUnknown(t *testing.T) {
	ts := newTestServer(t, nil, idempotency.WithScope(func(*http.Request) string { return "" }))
	w := ts.do(req{header: keyHeader("k")})
	if w.Code != 400 || code(w) != idempotency.AnonymousCaller.Code() || ts.runs.Load() != 0 {
		t.Fatalf("status %d code %q runs %d", w.Code, code(w), ts.runs.Load())
	}
}

func TestMismatch(t *testing.T) {
	tests := []struct {
		name          string
		first, second req
	}{
		{"other body", req{body: "a"}, req{body: "b"}},
		{"other query", req{target: "/orders?x=1"}, req{target: "/orders?x=2"}},
		{"query added", req{target: "/orders"}, req{target: "/orders?x=1"}},
	}
	for _, tc := range tests {
		for _, state := range []string{"completed", "in progress"} {
			t.Run(tc.name+"/"+state, func(t *testing.T) {
				release := make(chan struct{})
				ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
					if state == "in progress" {
						<-release
					}
					w.WriteHeader(201)
				})
				tc.first.header, tc.second.header = keyHeader("k"), keyHeader("k")
				done := make(chan *httptest.ResponseRecorder, 1)
				if state == "in progress" {
					go func() { done <- ts.do(tc.first) }()
					waitFor(t, func() bool { return ts.runs.Load() == 1 })
				} else {
					done <- ts.do(tc.first)
				}
				w := ts.do(tc.second)
				close(release)
				<-done
				if w.Code != 422 || code(w) != "idempotency/mismatch" {
					t.Fatalf("status %d code %q, want 422 idempotency/mismatch", w.Code, code(w))
				}
				if ts.runs.Load() != 1 {
					t.Fatalf("handler ran %d times", ts.runs.Load())
				}
			})
		}
	}
}

func TestMismatchAcrossPathsWithinARoute(t *testing.T) {
	store := newMemoryStore()
	defer store.Close()
	mw := mustNew(store)
	var runs atomic.Int64
	mux := http.NewServeMux()
	mux.Handle("POST /orders/{id}", mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		_, _ = io.WriteString(w, r.PathValue("id"))
	})))
	send := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", path, nil)
		r.Header.Set("Idempotency-Key", "k")
		r.Header.Set("Authorization", testCaller)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}
	if w := send("/orders/1"); w.Code != 200 {
		t.Fatalf("first: %d", w.Code)
	}
	if w := send("/orders/2"); w.Code != 422 || code(w) != "idempotency/mismatch" {
		t.Fatalf("same key, other path in the same route: %d %q", w.Code, code(w))
	}
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times", runs.Load())
	}
}

// waitFor polls cond; it fails the test if cond stays false for long.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not reached at %s", time.Now())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestInProgress(t *testing.T) {
	release := make(chan struct{})
	var claims atomic.Int64
	obs := func(e idempotency.Event) {
		if e.Kind == "claim" {
			claims.Add(1)
		}
	}
	tests := []struct {
		name string
		opts []idempotency.Option
		// unblock releases the first request once the duplicate is waiting.
		unblock  bool
		want     int
		wantCode string
	}{
		{"409 with Retry-After", nil, false, 409, "idempotency/in-progress"},
		{"wait then replay", []idempotency.Option{idempotency.WithWait(10 * time.Second)}, true, 201, ""},
		{"wait bound exceeded", []idempotency.Option{idempotency.WithWait(30 * time.Millisecond)}, false, 409, "idempotency/in-progress"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			release = make(chan struct{})
			claims.Store(0)
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				<-release
				w.WriteHeader(201)
				_, _ = io.WriteString(w, "first")
			}, append(tc.opts, idempotency.WithObserver(obs))...)
			done := make(chan *httptest.ResponseRecorder, 1)
			go func() { done <- ts.do(req{header: keyHeader("k")}) }()
			waitFor(t, func() bool { return ts.runs.Load() == 1 })
			if tc.unblock {
				go func() {
					waitFor(t, func() bool { return claims.Load() >= 3 }) // first, duplicate, one poll
					close(release)
				}()
			}
			w := ts.do(req{header: keyHeader("k")})
			if !tc.unblock {
				close(release)
			}
			<-done
			if w.Code != tc.want || code(w) != tc.wantCode {
				t.Fatalf("duplicate: %d %q, want %d %q", w.Code, code(w), tc.want, tc.wantCode)
			}
			if tc.want == 409 && w.Header().Get("Retry-After") != "1" {
				t.Fatalf("Retry-After = %q, want 1", w.Header().Get("Retry-After"))
			}
			if tc.want == 201 && (w.Body.String() != "first" || w.Header().Get(idempotency.ReplayedHeader) != "true") {
				t.Fatalf("waiting duplicate got %q, replayed %q", w.Body, w.Header().Get(idempotency.ReplayedHeader))
			}
			if ts.runs.Load() != 1 {
				t.Fatalf("handler ran %d times", ts.runs.Load())
			}
		})
	}
}

func TestConcurrentIdenticalRequests(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"ord_1"}`)
	})
	const n = 100
	var wg sync.WaitGroup
	res := make([]*httptest.ResponseRecorder, n)
	for i := range n {
		wg.Go(func() { res[i] = ts.do(req{body: "same", header: keyHeader("k")}) })
	}
	wg.Wait()
	if ts.runs.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", ts.runs.Load())
	}
	for i, w := range res {
		switch w.Code {
		case 201:
			if w.Body.String() != `{"id":"ord_1"}` || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("response %d: %q %v", i, w.Body, w.Header())
			}
		case 409:
			if code(w) != "idempotency/in-progress" {
				t.Fatalf("response %d: 409 with code %q", i, code(w))
			}
		default:
			t.Fatalf("response %d: status %d", i, w.Code)
		}
	}
}

func TestRetention(t *testing.T) {
	clock := newFakeClock()
	store := newMemoryStore(idempotency.WithClock(clock.Now))
	defer store.Close()
	tests := []struct {
		name      string
		opts      []idempotency.Option
		retention time.Duration
	}{
		{"default 24h", nil, 24 * time.Hour},
		{"configured 1h", []idempotency.Option{idempotency.WithRetention(time.Hour)}, time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServerStore(t, store, nil, tc.opts...)
			k := keyHeader("retention-" + tc.name)
			ts.do(req{header: k})
			clock.Advance(tc.retention - time.Nanosecond)
			if w := ts.do(req{header: k}); w.Header().Get(idempotency.ReplayedHeader) != "true" {
				t.Fatal("not replayed just before retention ends")
			}
			clock.Advance(time.Nanosecond)
			if w := ts.do(req{header: k}); w.Header().Get(idempotency.ReplayedHeader) != "" {
				t.Fatal("replayed after retention ended")
			}
			if ts.runs.Load() != 2 {
				t.Fatalf("handler ran %d times, want 2", ts.runs.Load())
			}
		})
	}
}
