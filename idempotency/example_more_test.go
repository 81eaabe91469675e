package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/problem"
)

// counting returns a handler that answers 201 "run N", N counting its runs.
func counting() http.Handler {
	var n atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "run %d", n.Add(1))
	})
}

// call sends a request through h as the caller "partner-1", with key in
// the Idempotency-Key header when it is not empty.
func call(h http.Handler, method, target, key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer partner-1")
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// outcome describes a response: its status, then the problem code of an
// error or the body (trimmed), and "(replayed)" when it was replayed.
func outcome(w *httptest.ResponseRecorder) string {
	s := fmt.Sprint(w.Code, " ")
	if w.Header().Get("Content-Type") == problem.ContentType {
		s += problem.Parse(w.Result()).Code
	} else {
		s += strings.TrimSpace(w.Body.String())
	}
	if w.Header().Get(idempotency.ReplayedHeader) == "true" {
		s += " (replayed)"
	}
	return s
}

// downStore is a Store whose every call fails, as when its server is
// unreachable.
type downStore struct{}

var errStoreDown = errors.New("dial tcp 127.0.0.1:6379: connection refused")

func (downStore) Claim(context.Context, string, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{}, errStoreDown
}
func (downStore) Extend(context.Context, string, string, time.Duration) error { return errStoreDown }
func (downStore) Complete(context.Context, string, string, []byte, time.Duration) error {
	return errStoreDown
}
func (downStore) Release(context.Context, string, string) error { return errStoreDown }

func ExampleWithClock() {
	clock := newFakeClock()
	store := newMemoryStore(idempotency.WithClock(clock.Now))
	defer store.Close()
	ctx := context.Background()

	c, _ := store.Claim(ctx, "key", "fp", "owner-1", 10*time.Second)
	fmt.Println(c.Outcome)
	clock.Advance(4 * time.Second)
	c, _ = store.Claim(ctx, "key", "fp", "owner-2", 10*time.Second)
	fmt.Println(c.Outcome, c.RetryAfter)
	clock.Advance(6 * time.Second) // owner-1's lease has run out
	c, _ = store.Claim(ctx, "key", "fp", "owner-2", 10*time.Second)
	fmt.Println(c.Outcome)
	// Output:
	// acquired
	// in-progress 6s
	// acquired
}

func ExampleWithMaxEntries() {
	store := newMemoryStore(idempotency.WithMaxEntries(2))
	defer store.Close()
	ctx := context.Background()

	for _, key := range []string{"a", "b", "c"} {
		c, err := store.Claim(ctx, key, "fp", "owner-"+key, time.Minute)
		if errors.Is(err, idempotency.ErrStoreFull) {
			fmt.Println(key, "refused: every record is in progress")
			continue
		}
		fmt.Println(key, c.Outcome)
	}
	_ = store.Complete(ctx, "a", "owner-a", []byte("response"), time.Hour)
	c, err := store.Claim(ctx, "c", "fp", "owner-c", time.Minute) // evicts a, the oldest completed
	fmt.Println("c", c.Outcome, err, store.Len())
	// Output:
	// a acquired
	// b acquired
	// c refused: every record is in progress
	// c acquired <nil> 2
}

func ExampleWithMaxBytes() {
	store := newMemoryStore(idempotency.WithMaxBytes(16 << 10))
	defer store.Close()
	ctx := context.Background()

	_, _ = store.Claim(ctx, "old", "fp", "owner", time.Minute)
	_ = store.Complete(ctx, "old", "owner", make([]byte, 12<<10), time.Hour)
	_, _ = store.Claim(ctx, "new", "fp", "owner", time.Minute)
	_ = store.Complete(ctx, "new", "owner", make([]byte, 12<<10), time.Hour)
	// Storing "new" went over the cap: the next new key evicts the oldest
	// completed record, so a retry of "old" runs again.
	_, _ = store.Claim(ctx, "next", "fp", "owner", time.Minute)
	c, err := store.Claim(ctx, "old", "fp", "owner-2", time.Minute)
	fmt.Println("old:", c.Outcome, err)
	c, _ = store.Claim(ctx, "new", "fp", "owner-3", time.Minute)
	fmt.Println("new:", c.Outcome, len(c.Response))
	// Output:
	// old: acquired <nil>
	// new: completed 12288
}

func ExampleWithSweepInterval() {
	clock := newFakeClock()
	store := newMemoryStore(idempotency.WithSweepInterval(5*time.Millisecond), idempotency.WithClock(clock.Now))
	defer store.Close()

	_, _ = store.Claim(context.Background(), "key", "fp", "owner", time.Second)
	fmt.Println("records:", store.Len())
	clock.Advance(2 * time.Second) // the lease has run out; the next sweep removes the record
	for i := 0; i < 1000 && store.Len() > 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("records after a sweep:", store.Len())
	// Output:
	// records: 1
	// records after a sweep: 0
}

func ExampleWithFailOpen() {
	strict := mustNew(downStore{})(counting())
	open := mustNew(downStore{}, idempotency.WithFailOpen())(counting())

	w := call(strict, http.MethodPost, "/orders", "order-42", "{}")
	fmt.Println("default:  ", outcome(w), "Retry-After", w.Header().Get("Retry-After"))
	fmt.Println("fail open:", outcome(call(open, http.MethodPost, "/orders", "order-42", "{}")))
	// Output:
	// default:   503 idempotency/store-unavailable Retry-After 2
	// fail open: 201 run 1
}

func ExampleWithRequireKey() {
	h := mustNew(newMemoryStore(), idempotency.WithRequireKey())(counting())
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "", "{}")))
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	fmt.Println(outcome(call(h, http.MethodGet, "/orders", "", ""))) // GET is not acted on
	// Output:
	// 400 idempotency/missing-key
	// 201 run 1
	// 201 run 2
}

func ExampleWithStoreServerErrors() {
	// A handler that fails once, then succeeds.
	flaky := func() http.Handler {
		var n atomic.Int32
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				http.Error(w, "upstream failed", http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, "created")
		})
	}
	byDefault := mustNew(newMemoryStore())(flaky())
	stored := mustNew(newMemoryStore(), idempotency.WithStoreServerErrors())(flaky())
	for _, h := range []http.Handler{byDefault, stored} {
		first := call(h, http.MethodPost, "/orders", "order-42", "{}")
		retry := call(h, http.MethodPost, "/orders", "order-42", "{}")
		fmt.Printf("%d, then %s\n", first.Code, outcome(retry))
	}
	// Output:
	// 502, then 201 created
	// 502, then 502 upstream failed (replayed)
}

func ExampleWithErrorWriter() {
	// An error writer of another dialect: {"error":{"code":…,"message":…}}.
	ew := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		p := problem.From(err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(p.StatusCode())
		fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, p.Code, p.Detail)
	})
	h := mustNew(newMemoryStore(), idempotency.WithRequireKey(), idempotency.WithErrorWriter(ew))(counting())
	w := call(h, http.MethodPost, "/orders", "", "{}")
	fmt.Println(w.Code, w.Body.String())
	// Output: 400 {"error":{"code":"idempotency/missing-key","message":"The Idempotency-Key header is required for POST requests"}}
}

func ExampleWithKeyHeader() {
	h := mustNew(newMemoryStore(), idempotency.WithKeyHeader("x-request-key"))(counting())
	send := func(header string) string {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("{}"))
		r.Header.Set("Authorization", "Bearer partner-1")
		r.Header.Set(header, "order-42")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return outcome(w)
	}
	fmt.Println(send("X-Request-Key"))
	fmt.Println(send("X-Request-Key"))
	fmt.Println(send("Idempotency-Key")) // not the configured header: no protection
	// Output:
	// 201 run 1
	// 201 run 1 (replayed)
	// 201 run 2
}

func ExampleWithLease() {
	clock := newFakeClock()
	store := newMemoryStore(idempotency.WithClock(clock.Now))
	defer store.Close()
	var runs atomic.Int32
	started, finish := make(chan struct{}), make(chan struct{})
	h := mustNew(store, idempotency.WithLease(30*time.Second))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if runs.Add(1) == 1 {
			close(started)
			<-finish // the first run hangs
		}
		fmt.Fprintf(w, "run %d", runs.Load())
	}))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		call(h, http.MethodPost, "/orders", "order-42", "{}")
	}()
	<-started
	clock.Advance(20 * time.Second) // within the lease
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	clock.Advance(11 * time.Second) // the lease ran out without renewal
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	close(finish)
	wg.Wait()
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	// Output:
	// 409 idempotency/in-progress
	// 200 run 2
	// 200 run 2 (replayed)
}

func ExampleWithMaxBodyBytes() {
	h := mustNew(newMemoryStore(), idempotency.WithMaxBodyBytes(16))(counting())
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-1", `{"sku":"a"}`)))
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-2", `{"sku":"a","note":"too long"}`)))
	// Output:
	// 201 run 1
	// 413 validation/request-too-large
}

func ExampleWithMaxResponseBytes() {
	big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Repeat("x", 64))
	})
	h := mustNew(newMemoryStore(), idempotency.WithMaxResponseBytes(32))(big)
	w := call(h, http.MethodPost, "/reports", "report-1", "{}")
	fmt.Println(w.Code, w.Body.Len()) // sent in full
	fmt.Println(outcome(call(h, http.MethodPost, "/reports", "report-1", "{}")))
	// Output:
	// 200 64
	// 409 idempotency/response-not-stored
}

func ExampleWithMethods() {
	h := mustNew(newMemoryStore(), idempotency.WithMethods(http.MethodPost, http.MethodPut))(counting())
	for _, method := range []string{http.MethodPut, http.MethodPut, http.MethodPatch, http.MethodPatch} {
		fmt.Println(method, outcome(call(h, method, "/orders/1", "change-7", "{}")))
	}
	// Output:
	// PUT 201 run 1
	// PUT 201 run 1 (replayed)
	// PATCH 201 run 2
	// PATCH 201 run 3
}

func ExampleWithReplayHeaders() {
	handler := func() http.Handler {
		var n atomic.Int32
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", fmt.Sprintf("req-%d", n.Add(1)))
			w.Header().Set("Set-Cookie", "session=abc")
			fmt.Fprint(w, `{}`)
		})
	}
	byDefault := mustNew(newMemoryStore())(handler())
	extended := mustNew(newMemoryStore(),
		idempotency.WithReplayHeaders("Content-Type", "Location", "X-Request-Id", "Set-Cookie"))(handler())
	for _, h := range []http.Handler{byDefault, extended} {
		call(h, http.MethodPost, "/orders", "order-42", "{}")
		w := call(h, http.MethodPost, "/orders", "order-42", "{}")
		fmt.Printf("type %q, request id %q, cookie %q\n", w.Header().Get("Content-Type"), w.Header().Get("X-Request-Id"), w.Header().Get("Set-Cookie"))
	}
	// Output:
	// type "application/json", request id "", cookie ""
	// type "application/json", request id "req-1", cookie ""
}

func ExampleWithRetention() {
	clock := newFakeClock()
	store := newMemoryStore(idempotency.WithClock(clock.Now))
	defer store.Close()
	h := mustNew(store, idempotency.WithRetention(time.Hour))(counting())

	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	clock.Advance(59 * time.Minute)
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	clock.Advance(time.Minute) // the response is no longer kept
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	// Output:
	// 201 run 1
	// 201 run 1 (replayed)
	// 201 run 2
}

func ExampleWithRoute() {
	// By default a key is matched within one route (method and path here),
	// so the same key on two endpoints is two requests.
	byDefault := mustNew(newMemoryStore())(counting())
	fmt.Println(outcome(call(byDefault, http.MethodPost, "/orders", "k-1", "{}")))
	fmt.Println(outcome(call(byDefault, http.MethodPost, "/payments", "k-1", "{}")))

	// One route for the whole API: a key may be used once across it.
	oneRoute := mustNew(newMemoryStore(),
		idempotency.WithRoute(func(*http.Request) string { return "api" }))(counting())
	fmt.Println(outcome(call(oneRoute, http.MethodPost, "/orders", "k-1", "{}")))
	fmt.Println(outcome(call(oneRoute, http.MethodPost, "/payments", "k-1", "{}")))
	// Output:
	// 201 run 1
	// 201 run 2
	// 201 run 1
	// 422 idempotency/mismatch
}

func ExampleWithStoreRetryAfter() {
	byDefault := mustNew(downStore{})(counting())
	longer := mustNew(downStore{}, idempotency.WithStoreRetryAfter(30*time.Second))(counting())
	for _, h := range []http.Handler{byDefault, longer} {
		w := call(h, http.MethodPost, "/orders", "order-42", "{}")
		fmt.Println(outcome(w), "Retry-After", w.Header().Get("Retry-After"))
	}
	// Output:
	// 503 idempotency/store-unavailable Retry-After 2
	// 503 idempotency/store-unavailable Retry-After 30
}

// hangingStore is a MemoryStore whose Complete hangs until its context
// ends, as a store does when its server stops answering.
type hangingStore struct{ *idempotency.MemoryStore }

func (hangingStore) Complete(ctx context.Context, _, _ string, _ []byte, _ time.Duration) error {
	<-ctx.Done()
	fmt.Println("complete:", ctx.Err())
	return ctx.Err()
}

func ExampleWithStoreTimeout() {
	store := hangingStore{newMemoryStore()}
	defer store.Close()
	h := mustNew(store, idempotency.WithStoreTimeout(20*time.Millisecond))(counting())
	// The handler's response is sent; storing it is given up after 20ms.
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	// Output:
	// complete: context deadline exceeded
	// 201 run 1
}

func ExampleWithValidator() {
	h := mustNew(newMemoryStore(), idempotency.WithValidator(idempotency.ValidateUUIDv4))(counting())
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "3f1c2a9e-5b7d-4c1e-9a2b-8d6f0e4c3b21", "{}")))
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))

	// A validator may answer with its own problem.
	prefixed := mustNew(newMemoryStore(), idempotency.WithValidator(func(key string) error {
		if !strings.HasPrefix(key, "ord_") {
			return problem.InvalidFormat.New("Idempotency keys start with ord_")
		}
		return nil
	}))(counting())
	fmt.Println(outcome(call(prefixed, http.MethodPost, "/orders", "order-42", "{}")))
	// Output:
	// 201 run 1
	// 400 idempotency/invalid-key
	// 422 validation/invalid-format
}

// claimSignal is a MemoryStore that reports each claim that finds its key
// in progress.
type claimSignal struct {
	*idempotency.MemoryStore
	inProgress chan struct{}
}

func (s claimSignal) Claim(ctx context.Context, key, fp, owner string, lease time.Duration) (idempotency.Claim, error) {
	c, err := s.MemoryStore.Claim(ctx, key, fp, owner, lease)
	if c.Outcome == idempotency.InProgress {
		select {
		case s.inProgress <- struct{}{}:
		default:
		}
	}
	return c, err
}

func ExampleWithWait() {
	store := claimSignal{newMemoryStore(), make(chan struct{}, 1)}
	defer store.Close()
	started, finish := make(chan struct{}), make(chan struct{})
	var runs atomic.Int32
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		close(started)
		<-finish
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, "created")
	})
	noWait := mustNew(store)(slow)
	waiting := mustNew(store, idempotency.WithWait(10*time.Second))(slow)

	go call(noWait, http.MethodPost, "/orders", "order-42", "{}")
	<-started
	fmt.Println("no wait:", outcome(call(noWait, http.MethodPost, "/orders", "order-42", "{}")))
	<-store.inProgress

	retried := make(chan string)
	go func() { retried <- outcome(call(waiting, http.MethodPost, "/orders", "order-42", "{}")) }()
	<-store.inProgress // the retry found the key in progress and waits
	close(finish)
	fmt.Println("waiting:", <-retried, "runs:", runs.Load())
	// Output:
	// no wait: 409 idempotency/in-progress
	// waiting: 201 created (replayed) runs: 1
}

func ExampleWithClientErrorRetention() {
	clock := newFakeClock()
	store := newMemoryStore(idempotency.WithClock(clock.Now))
	defer store.Close()
	var runs atomic.Int32
	validate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.WriteHeader(http.StatusUnprocessableEntity) // refused before doing any work
		fmt.Fprint(w, "invalid")
	})
	h := mustNew(store, idempotency.WithClientErrorRetention(time.Minute))(validate)
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")))
	clock.Advance(2 * time.Minute) // the 4xx answer is gone; the retry runs again
	fmt.Println(outcome(call(h, http.MethodPost, "/orders", "order-42", "{}")), "runs:", runs.Load())
	// Output:
	// 422 invalid
	// 422 invalid (replayed)
	// 422 invalid runs: 2
}

func ExampleWithMaxScopeBytes() {
	store := newMemoryStore(idempotency.WithMaxBytes(1<<20), idempotency.WithMaxScopeBytes(4<<10))
	defer store.Close()
	h := mustNew(store)(counting())
	send := func(caller, key string) string {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("{}"))
		r.Header.Set("Authorization", "Bearer "+caller)
		r.Header.Set("Idempotency-Key", key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return outcome(w)
	}
	fmt.Println("quiet:", send("quiet", "k"))
	for i := range 100 { // far more than 4 KiB of records
		send("noisy", fmt.Sprint("k", i))
	}
	fmt.Println("quiet:", send("quiet", "k"))           // its record stayed
	fmt.Println("noisy, oldest:", send("noisy", "k0"))  // evicted to make room: runs again
	fmt.Println("noisy, newest:", send("noisy", "k99")) // kept
	// Output:
	// quiet: 201 run 1
	// quiet: 201 run 1 (replayed)
	// noisy, oldest: 201 run 102
	// noisy, newest: 201 run 101 (replayed)
}
