package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/webhook"
)

// fakeClock is a clock the examples move by hand, safe for concurrent use.
type fakeClock struct{ off atomic.Int64 }

var clockBase = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func (c *fakeClock) Now() time.Time          { return clockBase.Add(time.Duration(c.off.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// inFlight counts the requests a receiver is handling at once.
type inFlight struct {
	mu       sync.Mutex
	now, max int
}

func (f *inFlight) handler(hold time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.now++
		f.max = max(f.max, f.now)
		f.mu.Unlock()
		time.Sleep(hold)
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	})
}

func (f *inFlight) Max() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.max
}

// New checks the store, the secrets and every option, so a bad
// configuration fails at start-up rather than at the first delivery.
func ExampleNew() {
	store, _ := webhook.NewMemoryStore()
	_, err := webhook.New(nil, []string{secret})
	fmt.Println(err)
	_, err = webhook.New(store, []string{secret}, webhook.WithWorkers(0))
	fmt.Println(err)
	_, err = webhook.New(store, []string{"not-a-secret"})
	fmt.Println(err != nil)
	d, err := webhook.New(store, []string{secret})
	fmt.Println(d != nil, err)
	// Output:
	// webhook: nil store
	// webhook: WithWorkers(0): want at least 1
	// true
	// true <nil>
}

// Definitions lists the problems the package answers with, for a
// service's problem.Catalog.
func ExampleDefinitions() {
	cat, _ := problem.NewCatalog("https://api.example.com/errors/")
	for _, def := range webhook.Definitions() {
		if err := cat.Register(def); err != nil {
			panic(err)
		}
		fmt.Println(def.Code(), def.Status(), cat.ResolveType(def.Type()))
	}
	// Output:
	// webhooks/endpoint-refused 422 https://api.example.com/errors/endpoint-refused
}

// WithAllowPrivateNetworks lifts the address check for every endpoint:
// only for deployments where no endpoint URL comes from a partner.
func ExampleWithAllowPrivateNetworks() {
	store, _ := webhook.NewMemoryStore()
	guarded, _ := webhook.New(store, []string{secret})
	internal, _ := webhook.New(store, []string{secret}, webhook.WithAllowPrivateNetworks())
	for _, endpoint := range []string{"http://10.0.0.7/hooks", "http://localhost:8080/hooks"} {
		fmt.Println(guarded.CheckEndpoint(endpoint) != nil, internal.CheckEndpoint(endpoint))
	}
	// Output:
	// true <nil>
	// true <nil>
}

// WithAllowedURLs lets exactly the listed URLs reach internal addresses;
// any other internal URL is still refused.
func ExampleWithAllowedURLs() {
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs("http://billing.internal:8080/hooks", "http://10.0.0.7/hooks"))
	fmt.Println(d.CheckEndpoint("http://10.0.0.7/hooks"))
	fmt.Println(d.CheckEndpoint("http://10.0.0.7/admin"))
	// Output:
	// <nil>
	// webhook: endpoint "http://10.0.0.7/admin" refused: private address 10.0.0.7
}

// After WithBreaker's failures in a row an endpoint rests for the
// cooldown: its due messages are not attempted until then, and one probe
// decides whether it is back.
func ExampleWithBreaker() {
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			http.Error(w, "down", http.StatusInternalServerError)
		}
	}))
	defer receiver.Close()
	var clock fakeClock
	events := make(chan webhook.Event, 16)
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithClock(clock.Now),
		webhook.WithSchedule(0, 0, 0), // retries due at once
		webhook.WithBreaker(1, time.Hour),
		webhook.WithPollInterval(5*time.Millisecond),
		webhook.WithObserver(func(e webhook.Event) { events <- e }))
	_ = d.Start()
	defer d.Shutdown(context.Background())

	id, _ := d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	e := <-events
	fmt.Println("attempt", e.Attempt.Number, e.Outcome, e.Attempt.Status)
	time.Sleep(50 * time.Millisecond) // the retry is due, but the breaker is open
	m, _ := d.Message(context.Background(), id)
	fmt.Println(m.State, "after", m.Attempts, "attempt; receiver hit", hits.Load(), "time")

	clock.Advance(time.Hour) // the cooldown is over: one probe
	e = <-events
	fmt.Println("attempt", e.Attempt.Number, e.Outcome, e.Attempt.Status)
	// Output:
	// attempt 1 retry 500
	// pending after 1 attempt; receiver hit 1 time
	// attempt 2 delivered 200
}

// WithClock sets the clock that schedules attempts: here a clock moved by
// hand shows the retry falling due after the schedule's wait.
func ExampleWithClock() {
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer receiver.Close()
	var clock fakeClock
	events := make(chan webhook.Event, 16)
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithClock(clock.Now),
		webhook.WithSchedule(0, 10*time.Minute),
		webhook.WithJitter(0),
		webhook.WithPollInterval(5*time.Millisecond),
		webhook.WithObserver(func(e webhook.Event) { events <- e }))
	_ = d.Start()
	defer d.Shutdown(context.Background())

	_, _ = d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	e := <-events
	fmt.Println(e.Outcome, "at", e.Attempt.At.Format(time.Kitchen), "next at", e.NextAt.Format(time.Kitchen))
	clock.Advance(10 * time.Minute)
	e = <-events
	fmt.Println(e.Outcome, "at", e.Attempt.At.Format(time.Kitchen))
	// Output:
	// retry at 12:00PM next at 12:10PM
	// delivered at 12:10PM
}

// WithEndpointConcurrency bounds the attempts to one endpoint at once,
// however many workers are free.
func ExampleWithEndpointConcurrency() {
	var f inFlight
	receiver := httptest.NewServer(f.handler(20 * time.Millisecond))
	defer receiver.Close()
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithWorkers(4),
		webhook.WithEndpointConcurrency(1),
		webhook.WithPollInterval(5*time.Millisecond))
	var ids []string
	for range 4 {
		id, _ := d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
		ids = append(ids, id)
	}
	_ = d.Start()
	defer d.Shutdown(context.Background())
	for _, id := range ids {
		waitFor(d, id, webhook.Delivered)
	}
	fmt.Println("delivered 4; most at once:", f.Max())
	// Output:
	// delivered 4; most at once: 1
}

// WithJitter spreads each wait of the schedule at random, so messages
// that failed together are not retried together; 0 keeps the waits exact.
func ExampleWithJitter() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer receiver.Close()
	// firstWaits fails n messages once and returns the waits before their
	// second attempts.
	firstWaits := func(fraction float64, n int) []time.Duration {
		var clock fakeClock
		events := make(chan webhook.Event, n)
		store, _ := webhook.NewMemoryStore()
		d, err := webhook.New(store, []string{secret},
			webhook.WithAllowedURLs(receiver.URL),
			webhook.WithClock(clock.Now),
			webhook.WithSchedule(0, time.Hour),
			webhook.WithJitter(fraction),
			webhook.WithObserver(func(e webhook.Event) {
				if e.Outcome == webhook.OutcomeRetry {
					events <- e
				}
			}))
		if err != nil {
			panic(err)
		}
		_ = d.Start()
		defer d.Shutdown(context.Background())
		for range n {
			_, _ = d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
		}
		var waits []time.Duration
		for range n {
			e := <-events
			waits = append(waits, e.NextAt.Sub(e.Attempt.At))
		}
		return waits
	}

	fmt.Println(firstWaits(0, 3))
	spread := firstWaits(0.5, 3)
	inRange := true
	for _, w := range spread {
		inRange = inRange && w >= 30*time.Minute && w <= 90*time.Minute
	}
	fmt.Println("jitter 0.5: every wait in [30m, 90m]:", inRange, "all equal:", spread[0] == spread[1] && spread[1] == spread[2])
	_, err := webhook.New(store0(), []string{secret}, webhook.WithJitter(1))
	fmt.Println(err)
	// Output:
	// [1h0m0s 1h0m0s 1h0m0s]
	// jitter 0.5: every wait in [30m, 90m]: true all equal: false
	// webhook: WithJitter(1): want a fraction in [0, 1)
}

// store0 returns a new, empty memory store.
func store0() *webhook.MemoryStore {
	s, err := webhook.NewMemoryStore()
	if err != nil {
		panic(err)
	}
	return s
}

// A worker holds a message for the lease while it attempts it: the
// message's NextAt is the lease's end, after which another worker may
// take the message over. The lease must outlast an attempt and its
// record.
func ExampleWithLease() {
	started, release := make(chan struct{}), make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	}))
	defer receiver.Close()
	var clock fakeClock
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithClock(clock.Now),
		webhook.WithLease(2*time.Minute))
	_ = d.Start()
	defer d.Shutdown(context.Background())

	id, _ := d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	<-started
	m, _ := d.Message(context.Background(), id)
	fmt.Println("leased until", m.NextAt.Sub(clock.Now()), "from now")
	close(release)
	waitFor(d, id, webhook.Delivered)

	_, err := webhook.New(store, []string{secret}, webhook.WithLease(20*time.Second))
	fmt.Println(err)
	// Output:
	// leased until 2m0s from now
	// webhook: lease 20s must be longer than the attempt timeout 15s plus twice the store timeout 5s
}

// WithMaxEntries bounds a MemoryStore; it is a MemoryStore option, so New
// refuses it.
func ExampleWithMaxEntries() {
	store, _ := webhook.NewMemoryStore(webhook.WithMaxEntries(2))
	d, _ := webhook.New(store, []string{secret})
	for _, id := range []string{"evt_1", "evt_2", "evt_3"} {
		_, err := d.Enqueue(context.Background(), webhook.Message{ID: id, Endpoint: "https://partner.example.com/hooks"})
		fmt.Println(id, err)
	}
	_, err := webhook.New(store, []string{secret}, webhook.WithMaxEntries(2))
	fmt.Println(err)
	// Output:
	// evt_1 <nil>
	// evt_2 <nil>
	// evt_3 webhook: store full
	// webhook: WithMaxEntries configures a MemoryStore, not a Dispatcher
}

// WithMaxPayloadBytes bounds what Enqueue accepts.
func ExampleWithMaxPayloadBytes() {
	d, _ := webhook.New(store0(), []string{secret}, webhook.WithMaxPayloadBytes(16))
	for _, payload := range []string{`{"ok":true}`, `{"referral":"ref_123"}`} {
		_, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: "https://partner.example.com/hooks", Payload: []byte(payload)})
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// webhook: payload of 22 bytes over the limit of 16
}

// WithMaxRetryAfter caps the wait a 429 or 503 answer asks for: this
// receiver asks for a day and gets a minute.
func ExampleWithMaxRetryAfter() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer receiver.Close()
	var clock fakeClock
	events := make(chan webhook.Event, 1)
	d, _ := webhook.New(store0(), []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithClock(clock.Now),
		webhook.WithMaxRetryAfter(time.Minute),
		webhook.WithObserver(func(e webhook.Event) {
			select {
			case events <- e:
			default:
			}
		}))
	_ = d.Start()
	defer d.Shutdown(context.Background())
	_, _ = d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	e := <-events
	fmt.Println(e.Outcome, e.Attempt.Status, "next attempt in", e.NextAt.Sub(e.Attempt.At))
	// Output:
	// retry 503 next attempt in 1m0s
}

// WithOrdered delivers each endpoint's messages in the order they were
// enqueued: evt_2 waits while evt_1 is retried.
func ExampleWithOrdered() {
	var evt1Failed atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Webhook-Id")
		if id == "evt_1" && evt1Failed.CompareAndSwap(false, true) {
			fmt.Println(id, "500")
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Println(id, "200")
	}))
	defer receiver.Close()
	d, _ := webhook.New(store0(), []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithOrdered(),
		webhook.WithWorkers(2),
		webhook.WithSchedule(0, 20*time.Millisecond),
		webhook.WithPollInterval(5*time.Millisecond))
	for _, id := range []string{"evt_1", "evt_2"} {
		_, _ = d.Enqueue(context.Background(), webhook.Message{ID: id, Endpoint: receiver.URL, Payload: []byte(`{}`)})
	}
	_ = d.Start()
	defer d.Shutdown(context.Background())
	waitFor(d, "evt_2", webhook.Delivered)
	// Output:
	// evt_1 500
	// evt_1 200
	// evt_2 200
}

// WithPollInterval: here the message is enqueued by a Dispatcher that
// runs no workers, as a replica that only enqueues would, and delivered
// by the workers of another that polls every 10 ms.
func ExampleWithPollInterval() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	store := store0()
	worker, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL), webhook.WithPollInterval(10*time.Millisecond))
	_ = worker.Start()
	defer worker.Shutdown(context.Background())
	time.Sleep(20 * time.Millisecond) // the workers are idle, polling

	enqueuer, _ := webhook.New(store, []string{secret}, webhook.WithAllowedURLs(receiver.URL))
	id, err := enqueuer.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	if err != nil {
		panic(err)
	}
	fmt.Println(waitFor(worker, id, webhook.Delivered).State)
	_, err = webhook.New(store, []string{secret}, webhook.WithPollInterval(0))
	fmt.Println(err)
	// Output:
	// delivered
	// webhook: WithPollInterval(0s): want a positive duration
}

// WithSchedule sets the waits before each attempt; after as many failed
// attempts as waits, the message is a dead letter.
func ExampleWithSchedule() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer receiver.Close()
	done := make(chan struct{})
	d, _ := webhook.New(store0(), []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithSchedule(0, time.Millisecond, 2*time.Millisecond), // three attempts
		webhook.WithPollInterval(5*time.Millisecond),
		webhook.WithObserver(func(e webhook.Event) {
			fmt.Println("attempt", e.Attempt.Number, e.Outcome)
			if e.Outcome == webhook.OutcomeDead {
				close(done)
			}
		}))
	_ = d.Start()
	defer d.Shutdown(context.Background())
	_, _ = d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	<-done
	// Output:
	// attempt 1 retry
	// attempt 2 retry
	// attempt 3 dead
}

// WithSigner signs with a signer of the service's choosing, here a
// signature.Signer for a scheme with the partner's own header; New's
// secrets are then not needed.
func ExampleWithSigner() {
	scheme := signature.Stripe("X-Partner-Signature")
	signer, _ := signature.NewSigner(scheme, []string{"partner-secret"})
	v, _ := signature.NewVerifier(scheme, []string{"partner-secret"})
	done := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := v.Verify(r.Context(), r.Header, body)
		fmt.Println(strings.HasPrefix(r.Header.Get("X-Partner-Signature"), "t="), "valid:", err == nil)
		close(done)
	}))
	defer receiver.Close()
	d, err := webhook.New(store0(), nil, webhook.WithSigner(signer), webhook.WithAllowedURLs(receiver.URL))
	if err != nil {
		panic(err)
	}
	_ = d.Start()
	defer d.Shutdown(context.Background())
	_, _ = d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{"data":{}}`)})
	<-done
	// Output:
	// true valid: true
}

// slowStore is a store whose Enqueue hangs until its context ends, as a
// database that stopped answering would.
type slowStore struct{ *webhook.MemoryStore }

func (s slowStore) Enqueue(ctx context.Context, m webhook.Message) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// WithStoreTimeout bounds every store call, so a store that stopped
// answering fails Enqueue instead of hanging it.
func ExampleWithStoreTimeout() {
	d, _ := webhook.New(slowStore{store0()}, []string{secret},
		webhook.WithStoreTimeout(20*time.Millisecond),
		webhook.WithTimeout(time.Second))
	_, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: "https://partner.example.com/hooks"})
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// true
}

// WithTimeout bounds each attempt: a receiver that does not answer in
// time counts as a failure and the message is retried later.
func ExampleWithTimeout() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so that the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer receiver.Close()
	events := make(chan webhook.Event, 1)
	d, _ := webhook.New(store0(), []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithTimeout(100*time.Millisecond),
		webhook.WithObserver(func(e webhook.Event) {
			select {
			case events <- e:
			default:
			}
		}))
	_ = d.Start()
	defer d.Shutdown(context.Background())
	_, _ = d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	e := <-events
	fmt.Println(e.Outcome, "status", e.Attempt.Status, "error:", e.Attempt.Error != "",
		"given up after the timeout:", e.Attempt.Latency >= 100*time.Millisecond)
	// Output:
	// retry status 0 error: true given up after the timeout: true
}

// WithWorkers sets how many attempts a Dispatcher makes at once, to any
// endpoints.
func ExampleWithWorkers() {
	var f inFlight
	receiver := httptest.NewServer(f.handler(10 * time.Millisecond))
	defer receiver.Close()
	d, _ := webhook.New(store0(), []string{secret},
		webhook.WithAllowedURLs(receiver.URL+"/a", receiver.URL+"/b", receiver.URL+"/c"),
		webhook.WithWorkers(1),
		webhook.WithPollInterval(5*time.Millisecond))
	var ids []string
	for _, path := range []string{"/a", "/b", "/c"} {
		id, _ := d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL + path, Payload: []byte(`{}`)})
		ids = append(ids, id)
	}
	_ = d.Start()
	defer d.Shutdown(context.Background())
	for _, id := range ids {
		waitFor(d, id, webhook.Delivered)
	}
	fmt.Println("delivered 3; most at once:", f.Max())
	// Output:
	// delivered 3; most at once: 1
}
