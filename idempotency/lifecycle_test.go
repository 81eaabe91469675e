package idempotency_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
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

// events records what the observer reports.
type events struct {
	mu  sync.Mutex
	evs []string
	ops []string
}

func (e *events) observer() func(idempotency.Event) {
	return func(ev idempotency.Event) {
		e.mu.Lock()
		defer e.mu.Unlock()
		switch ev.Kind {
		case "claim", "extend", "complete", "release":
			s := ev.Kind
			if ev.Err != nil {
				s += ":error"
			}
			if ev.Duration < 0 {
				s += ":negative"
			}
			e.ops = append(e.ops, s)
		default:
			e.evs = append(e.evs, ev.Kind)
		}
	}
}

func (e *events) events() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.evs)
}

func (e *events) calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.ops)
}

func (e *events) count(op string) int {
	n := 0
	for _, s := range e.calls() {
		if s == op {
			n++
		}
	}
	return n
}

func TestStatusesStoredOrReleased(t *testing.T) {
	tests := []struct {
		name   string
		status int
		opts   []idempotency.Option
		stored bool
	}{
		{"201 stored", 201, nil, true},
		{"204 stored", 204, nil, true},
		{"400 stored", 400, nil, true},
		{"409 stored", 409, nil, true},
		{"500 released", 500, nil, false},
		{"503 released", 503, nil, false},
		{"500 stored when configured", 500, []idempotency.Option{idempotency.WithStoreServerErrors()}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev events
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				if tc.status != 204 {
					_, _ = io.WriteString(w, "body")
				}
			}, append(tc.opts, idempotency.WithObserver(ev.observer()))...)
			ts.do(req{header: keyHeader("k")})
			w := ts.do(req{header: keyHeader("k")})
			if w.Code != tc.status {
				t.Fatalf("second status = %d, want %d", w.Code, tc.status)
			}
			replayed := w.Header().Get(idempotency.ReplayedHeader) == "true"
			if replayed != tc.stored {
				t.Fatalf("replayed = %v, want %v", replayed, tc.stored)
			}
			wantRuns := map[bool]int64{true: 1, false: 2}[tc.stored]
			if ts.runs.Load() != wantRuns {
				t.Fatalf("handler ran %d times, want %d", ts.runs.Load(), wantRuns)
			}
			wantEv := "stored"
			if !tc.stored {
				wantEv = "released"
			}
			if got := ev.events(); got[1] != wantEv {
				t.Fatalf("events %v, want %v second", got, wantEv)
			}
			if tc.status == 204 && w.Body.Len() != 0 {
				t.Fatalf("204 replay has a body: %q", w.Body)
			}
		})
	}
}

func TestImplicitStatusAndNoBody(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	ts.do(req{header: keyHeader("k")})
	w := ts.do(req{header: keyHeader("k")})
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get(idempotency.ReplayedHeader) != "true" {
		t.Fatalf("replay of an empty 200: %d %q %v", w.Code, w.Body, w.Header())
	}
}

func TestReplayedHeaders(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Location", "/orders/1")
		h.Set("ETag", `"v1"`)
		h.Add("Link", "</a>; rel=a")
		h.Add("Link", "</b>; rel=b")
		h.Set("Set-Cookie", "s=1")
		h.Set("Connection", "close")
		h.Set("X-Custom", "1")
		w.WriteHeader(201)
		h.Set("Location", "/changed-after-write") // too late: not sent, not stored
	})
	first := ts.do(req{header: keyHeader("k")})
	w := ts.do(req{header: keyHeader("k")})
	want := http.Header{
		"Content-Type":             {"application/json"},
		"Location":                 {"/orders/1"},
		"Etag":                     {`"v1"`},
		"Link":                     {"</a>; rel=a", "</b>; rel=b"},
		"Content-Length":           {"0"},
		idempotency.ReplayedHeader: {"true"},
	}
	for k, v := range want {
		if !slices.Equal(w.Header()[k], v) {
			t.Errorf("%s = %q, want %q", k, w.Header()[k], v)
		}
	}
	for _, k := range []string{"Set-Cookie", "Connection", "X-Custom"} {
		if w.Header().Get(k) != "" {
			t.Errorf("%s replayed", k)
		}
	}
	if first.Header().Get("X-Custom") != "1" {
		t.Error("first response lost a header")
	}

	ts = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Custom", "1")
		w.Header().Set("Set-Cookie", "s=1")
		w.Header().Set("Content-Type", "text/plain")
	}, idempotency.WithReplayHeaders("x-custom", "set-cookie", "transfer-encoding"))
	ts.do(req{header: keyHeader("k")})
	w = ts.do(req{header: keyHeader("k")})
	if w.Header().Get("X-Custom") != "1" || w.Header().Get("Set-Cookie") != "" || w.Header().Get("Content-Type") != "" {
		t.Fatalf("custom replay list: %v", w.Header())
	}
}

func TestPanicReleasesKey(t *testing.T) {
	var calls atomic.Int64
	var ev events
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		w.WriteHeader(201)
	}, idempotency.WithObserver(ev.observer()))
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want the handler's panic", v)
			}
		}()
		ts.do(req{header: keyHeader("k")})
		t.Fatal("panic was swallowed")
	}()
	if w := ts.do(req{header: keyHeader("k")}); w.Code != 201 || w.Header().Get(idempotency.ReplayedHeader) != "" {
		t.Fatalf("retry after a panic: %d, replayed %q", w.Code, w.Header().Get(idempotency.ReplayedHeader))
	}
	if got := ev.events()[:2]; !slices.Equal(got, []string{"acquired", "released"}) {
		t.Fatalf("events %v", got)
	}
}

func TestStoredAfterClientLeft(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		cancel() // the client goes away while the handler works
		<-r.Context().Done()
		w.WriteHeader(201)
		_, _ = io.WriteString(w, "done anyway")
	})
	ts.do(req{header: keyHeader("k"), ctx: ctx})
	w := ts.do(req{header: keyHeader("k")})
	if w.Body.String() != "done anyway" || w.Header().Get(idempotency.ReplayedHeader) != "true" || ts.runs.Load() != 1 {
		t.Fatalf("after the client left: %d %q runs %d", w.Code, w.Body, ts.runs.Load())
	}
}

func TestRequestBodyLimit(t *testing.T) {
	tests := []struct {
		name          string
		body          string
		contentLength int64 // -1: unknown (chunked)
		want          int
	}{
		{"at limit", "0123456789", 10, 201},
		{"over limit, declared", "0123456789a", 11, 413},
		{"over limit, chunked", "0123456789a", -1, 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev events
			ts := newTestServer(t, nil, idempotency.WithMaxBodyBytes(10), idempotency.WithObserver(ev.observer()))
			r := httptest.NewRequest("POST", "/orders", io.NopCloser(strings.NewReader(tc.body)))
			r.ContentLength = tc.contentLength
			r.Header.Set("Idempotency-Key", "k")
			r.Header.Set("Authorization", testCaller)
			w := httptest.NewRecorder()
			ts.h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == 413 {
				if code(w) != "validation/request-too-large" || ts.runs.Load() != 0 || len(ev.calls()) != 0 {
					t.Fatalf("code %q runs %d store calls %v", code(w), ts.runs.Load(), ev.calls())
				}
			} else if !strings.Contains(w.Body.String(), tc.body) {
				t.Fatalf("handler did not see the body: %q", w.Body)
			}
		})
	}
}

func TestResponseTooLargeToStore(t *testing.T) {
	big := strings.Repeat("x", 100)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		_, _ = io.WriteString(w, big[:50])
		_, _ = w.Write([]byte(big[50:]))
	}, idempotency.WithMaxResponseBytes(64))
	first := ts.do(req{header: keyHeader("k")})
	if first.Body.String() != big {
		t.Fatalf("client got %d bytes, want %d", first.Body.Len(), len(big))
	}
	for range 2 {
		w := ts.do(req{header: keyHeader("k")})
		if w.Code != 409 || code(w) != "idempotency/response-not-stored" {
			t.Fatalf("retry: %d %q", w.Code, code(w))
		}
	}
	if ts.runs.Load() != 1 {
		t.Fatalf("handler ran %d times", ts.runs.Load())
	}
}

// failingStore fails every call with err.
type failingStore struct{ err error }

func (s failingStore) Claim(context.Context, string, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{}, s.err
}
func (s failingStore) Extend(context.Context, string, string, time.Duration) error { return s.err }
func (s failingStore) Complete(context.Context, string, string, []byte, time.Duration) error {
	return s.err
}
func (s failingStore) Release(context.Context, string, string) error { return s.err }

func TestStoreUnavailable(t *testing.T) {
	down := errors.New("dial tcp 127.0.0.1:6379: connection refused")
	full := newMemoryStore(idempotency.WithMaxEntries(1))
	defer full.Close()
	_, _ = full.Claim(context.Background(), "other", "fp", "o", time.Hour)
	tests := []struct {
		name     string
		store    idempotency.Store
		opts     []idempotency.Option
		want     int
		retry    string
		failOpen bool
	}{
		{"unreachable", failingStore{down}, nil, 503, "2", false},
		{"unreachable, custom Retry-After", failingStore{down}, []idempotency.Option{idempotency.WithStoreRetryAfter(30 * time.Second)}, 503, "30", false},
		{"memory store full", full, nil, 503, "2", false},
		{"fail open", failingStore{down}, []idempotency.Option{idempotency.WithFailOpen()}, 201, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev events
			quiet := idempotency.WithErrorWriter(problem.Writer{Logger: slog.New(slog.DiscardHandler)})
			ts := newTestServerStore(t, tc.store, nil, append(tc.opts, quiet, idempotency.WithObserver(ev.observer()))...)
			w := ts.do(req{header: keyHeader("k")})
			if w.Code != tc.want || w.Header().Get("Retry-After") != tc.retry {
				t.Fatalf("status %d Retry-After %q, want %d %q", w.Code, w.Header().Get("Retry-After"), tc.want, tc.retry)
			}
			if strings.Contains(w.Body.String(), "refused") || strings.Contains(w.Body.String(), "full") {
				t.Fatalf("store error leaked to the client: %s", w.Body)
			}
			wantEvents := []string{"store-error"}
			if tc.failOpen {
				wantEvents = append(wantEvents, "fail-open")
			} else if code(w) != "idempotency/store-unavailable" {
				t.Fatalf("code %q", code(w))
			}
			if got := ev.events(); !slices.Equal(got, wantEvents) {
				t.Fatalf("events %v, want %v", got, wantEvents)
			}
			if got := ev.calls(); !slices.Equal(got, []string{"claim:error"}) {
				t.Fatalf("store calls %v", got)
			}
		})
	}
}

// corruptStore answers every claim with an unreadable completed record.
type corruptStore struct{ failingStore }

func (corruptStore) Claim(context.Context, string, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{Outcome: idempotency.Completed, Response: []byte{9, 9, 9}}, nil
}

func TestCorruptRecord(t *testing.T) {
	ts := newTestServerStore(t, corruptStore{}, nil, idempotency.WithErrorWriter(problem.Writer{Logger: slog.New(slog.DiscardHandler)}))
	w := ts.do(req{header: keyHeader("k")})
	if w.Code != 500 || code(w) != "idempotency/corrupt-record" || ts.runs.Load() != 0 {
		t.Fatalf("status %d code %q runs %d", w.Code, code(w), ts.runs.Load())
	}
}

func TestErrorWriter(t *testing.T) {
	var got error
	ew := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(problem.From(err).StatusCode())
		_, _ = io.WriteString(w, "custom dialect")
	})
	ts := newTestServer(t, nil, idempotency.WithErrorWriter(ew))
	ts.do(req{body: "a", header: keyHeader("k")})
	w := ts.do(req{body: "b", header: keyHeader("k")})
	if w.Code != 422 || w.Body.String() != "custom dialect" || !errors.Is(got, idempotency.KeyMismatch) {
		t.Fatalf("status %d body %q err %v", w.Code, w.Body, got)
	}
}

func TestFlushAndResponseController(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "part1;")
		w.(http.Flusher).Flush()
		rc := http.NewResponseController(w)
		if err := rc.Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		_, _ = io.WriteString(w, "part2")
	})
	w := ts.do(req{header: keyHeader("k")})
	if !w.Flushed || w.Body.String() != "part1;part2" {
		t.Fatalf("flushed %v body %q", w.Flushed, w.Body)
	}
	if w2 := ts.do(req{header: keyHeader("k")}); w2.Body.String() != "part1;part2" {
		t.Fatalf("replay of a flushed response: %q", w2.Body)
	}

	// Through a real server: deadlines reach the connection via Unwrap.
	store := newMemoryStore()
	defer store.Close()
	srv := httptest.NewServer(mustNew(store)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through the middleware: %v", err)
		}
		if err := rc.Flush(); err != nil {
			t.Errorf("Flush through the middleware: %v", err)
		}
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	r, _ := http.NewRequest("POST", srv.URL, nil)
	r.Header.Set("Idempotency-Key", "k")
	r.Header.Set("Authorization", testCaller)
	resp, err := srv.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("body %q", b)
	}
}

func TestObserverEvents(t *testing.T) {
	var ev events
	release := make(chan struct{})
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("block") != "" {
			<-release
		}
		w.WriteHeader(201)
	}, idempotency.WithObserver(ev.observer()), idempotency.WithRequireKey())
	ts.do(req{header: keyHeader("k")})                // acquired, stored
	ts.do(req{header: keyHeader("k")})                // replayed
	ts.do(req{header: keyHeader("k"), body: "other"}) // mismatch
	ts.do(req{})                                      // missing key
	ts.do(req{header: keyHeader("")})                 // invalid key
	ts.do(req{method: http.MethodGet})                // not reported
	done := make(chan struct{})
	go func() { ts.do(req{target: "/orders?block=1", header: keyHeader("b")}); close(done) }()
	waitFor(t, func() bool { return ts.runs.Load() == 3 })
	ts.do(req{target: "/orders?block=1", header: keyHeader("b")}) // in progress
	close(release)
	<-done
	want := []string{
		"acquired", "stored", "replayed", "mismatch",
		"missing-key", "invalid-key",
		"acquired", "in-progress", "stored",
	}
	if got := ev.events(); !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	wantCalls := []string{"claim", "complete", "claim", "claim", "claim", "claim", "complete"}
	if got := ev.calls(); !slices.Equal(got, wantCalls) {
		t.Fatalf("store calls\n got %v\nwant %v", got, wantCalls)
	}
}

func TestLeaseRenewedWhileHandlerRuns(t *testing.T) {
	var ev events
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		// Run until the lease has been renewed three times, by when the
		// first 1.2s lease would have run out.
		waitFor(t, func() bool { return ev.count("extend") >= 3 })
		w.WriteHeader(201)
	}, idempotency.WithLease(1200*time.Millisecond), idempotency.WithObserver(ev.observer()))
	ts.do(req{header: keyHeader("k")})
	after := ev.count("extend")
	if n := ev.count("extend:error"); n != 0 {
		t.Fatalf("%d failed renewals", n)
	}
	if got := ev.events(); !slices.Equal(got, []string{"acquired", "stored"}) {
		t.Fatalf("events %v: the long handler's result was not stored", got)
	}
	time.Sleep(500 * time.Millisecond)
	if ev.count("extend") != after {
		t.Fatal("lease still renewed after the handler returned")
	}
}

// stalledStore is a MemoryStore whose Extend does nothing, as if renewals
// never reached it.
type stalledStore struct{ *idempotency.MemoryStore }

func (stalledStore) Extend(context.Context, string, string, time.Duration) error { return nil }

func TestStaleOwnerCannotOverwrite(t *testing.T) {
	clock := newFakeClock()
	mem := newMemoryStore(idempotency.WithClock(clock.Now))
	defer mem.Close()
	var ev events
	release := make(chan struct{})
	var n atomic.Int64
	ts := newTestServerStore(t, stalledStore{mem}, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-release
			_, _ = io.WriteString(w, "stale")
			return
		}
		_, _ = io.WriteString(w, "fresh")
	}, idempotency.WithLease(time.Second), idempotency.WithObserver(ev.observer()))
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- ts.do(req{header: keyHeader("k")}) }()
	waitFor(t, func() bool { return n.Load() == 1 })
	clock.Advance(2 * time.Second) // the first request's lease runs out
	if w := ts.do(req{header: keyHeader("k")}); w.Body.String() != "fresh" {
		t.Fatalf("takeover: %d %q", w.Code, w.Body)
	}
	close(release)
	if w := <-done; w.Body.String() != "stale" {
		t.Fatalf("stale request's own client got %q", w.Body)
	}
	if w := ts.do(req{header: keyHeader("k")}); w.Body.String() != "fresh" {
		t.Fatalf("replay after the stale owner finished: %q", w.Body)
	}
	if !slices.Contains(ev.events(), "lost-ownership") {
		t.Fatalf("events %v lack lost-ownership", ev.events())
	}
}

func TestHandlerSeesBody(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		// The body can be read again: it is an io.Seeker.
		if _, err := r.Body.(io.Seeker).Seek(0, io.SeekStart); err != nil {
			t.Errorf("Seek: %v", err)
		}
		b2, _ := io.ReadAll(r.Body)
		if !bytes.Equal(b, b2) || r.ContentLength != int64(len(b)) {
			t.Errorf("the body read again or ContentLength disagree with the body")
		}
		_, _ = w.Write(b)
	})
	if w := ts.do(req{body: "payload", header: keyHeader("k")}); w.Body.String() != "payload" {
		t.Fatalf("handler saw %q", w.Body)
	}
}

// TestConstructorsRefuseBadConfiguration: bad configuration is an error
// from the constructor, never a panic at request time.
func TestConstructorsRefuseBadConfiguration(t *testing.T) {
	store := newMemoryStore()
	defer store.Close()
	tests := []struct {
		name  string
		store idempotency.Store
		opts  []idempotency.Option
		want  string
	}{
		{"nil store", nil, nil, "nil Store"},
		{"nil option", store, []idempotency.Option{nil}, "nil Option"},
		{"zero lease", store, []idempotency.Option{idempotency.WithLease(0)}, "WithLease"},
		{"lease not shorter than retention", store, []idempotency.Option{idempotency.WithLease(time.Hour), idempotency.WithRetention(time.Hour)}, "shorter than retention"},
		{"negative store timeout", store, []idempotency.Option{idempotency.WithStoreTimeout(-1)}, "WithStoreTimeout"},
		{"empty header", store, []idempotency.Option{idempotency.WithKeyHeader("")}, "WithKeyHeader"},
		{"no methods", store, []idempotency.Option{idempotency.WithMethods()}, "WithMethods"},
		{"nil scope", store, []idempotency.Option{idempotency.WithScope(nil)}, "WithScope"},
		{"memory store option", store, []idempotency.Option{idempotency.WithMaxBytes(1 << 20)}, "WithMaxBytes is an option of NewMemoryStore"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := idempotency.New(tc.store, tc.opts...)
			if err == nil || m != nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "idempotency: ") {
				t.Fatalf("New = %v, %v; want an error mentioning %q", m, err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		opts []idempotency.Option
		want string
	}{
		{"middleware option", []idempotency.Option{idempotency.WithLease(time.Second)}, "WithLease is an option of New"},
		{"zero max bytes", []idempotency.Option{idempotency.WithMaxBytes(0)}, "WithMaxBytes"},
		{"negative entries", []idempotency.Option{idempotency.WithMaxEntries(-1)}, "WithMaxEntries"},
		{"nil clock", []idempotency.Option{idempotency.WithClock(nil)}, "WithClock"},
	} {
		t.Run("memory store: "+tc.name, func(t *testing.T) {
			s, err := idempotency.NewMemoryStore(tc.opts...)
			if err == nil || s != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewMemoryStore = %v, %v; want an error mentioning %q", s, err, tc.want)
			}
		})
	}
}
