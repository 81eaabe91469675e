package hooktest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/webhook"
)

// Secret signs every delivery of the suite.
const Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// request is one request a receiver got.
type request struct {
	id    string
	sigOK bool
	body  string
}

// receiver is a local endpoint that verifies signatures and answers as
// its answer function says for the n-th request (from 1).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(n int, w http.ResponseWriter, r *http.Request)
	v      *signature.Verifier

	mu   sync.Mutex
	reqs []request
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	v, err := signature.NewVerifier(signature.StandardWebhooks(), []string{Secret})
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{t: t, answer: answer, v: v}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	_, err := rc.v.Verify(r.Context(), r.Header, body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, request{id: r.Header.Get("Webhook-Id"), sigOK: err == nil, body: string(body)})
	n := len(rc.reqs)
	rc.mu.Unlock()
	if rc.answer == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rc.answer(n, w, r)
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// url returns the receiver's URL with path.
func (rc *receiver) url(path string) string { return rc.srv.URL + path }

// testOptions are the options every dispatcher of the suite gets: short
// waits so that a test takes seconds.
func testOptions(extra ...webhook.Option) []webhook.Option {
	return append([]webhook.Option{
		webhook.WithSchedule(0, 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond),
		webhook.WithJitter(0),
		webhook.WithTimeout(2 * time.Second),
		webhook.WithStoreTimeout(2 * time.Second),
		webhook.WithLease(10 * time.Second),
		webhook.WithPollInterval(20 * time.Millisecond),
	}, extra...)
}

func newDispatcher(t *testing.T, s webhook.Store, opts ...webhook.Option) *webhook.Dispatcher {
	t.Helper()
	d, err := webhook.New(s, []string{Secret}, testOptions(opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func start(t *testing.T, d *webhook.Dispatcher) {
	t.Helper()
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Shutdown(c)
	})
}

// waitState polls until message id is in state want.
func waitState(t *testing.T, d *webhook.Dispatcher, id string, want webhook.State, within time.Duration) webhook.Message {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m, err := d.Message(context.Background(), id)
		if err == nil && m.State == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s: state %v (err %v) after %v; want %v", id, m.State, err, within, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// resetConn answers by resetting the connection.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func testDeliverAfterFailures(t *testing.T, s webhook.Store) {
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		case 2:
			resetConn(w)
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	ep := rc.url("/hook")
	d := newDispatcher(t, s, webhook.WithAllowedURLs(ep))
	start(t, d)
	begin := time.Now()
	id, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: ep, Type: "order.paid", Payload: []byte(`{"order":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	m := waitState(t, d, id, webhook.Delivered, 10*time.Second)
	if el := time.Since(begin); el < time.Second {
		t.Errorf("delivered after %v; want Retry-After (1s) respected", el)
	}
	time.Sleep(100 * time.Millisecond) // nothing more may come
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests; want exactly 3", len(reqs))
	}
	for i, r := range reqs {
		if r.id != id || !r.sigOK || r.body != `{"order":1}` {
			t.Errorf("request %d: webhook-id %q (want %q), signature valid %v, body %q", i+1, r.id, id, r.sigOK, r.body)
		}
	}
	if m.Attempts != 3 {
		t.Errorf("Attempts = %d; want 3", m.Attempts)
	}
	as, err := d.Attempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 3 || as[0].Status != 503 || as[1].Status != 0 || as[1].Error == "" || as[2].Status != 200 || as[2].Error != "" {
		t.Fatalf("attempts = %+v; want 503, a connection error, 200", as)
	}
}

func testGone(t *testing.T, s webhook.Store) {
	var gone atomic.Bool
	gone.Store(true)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if gone.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	ep := rc.url("/gone")
	d := newDispatcher(t, s, webhook.WithAllowedURLs(ep))
	start(t, d)
	id, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: ep, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if dis, _ := d.EndpointDisabled(context.Background(), ep); dis {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("410 Gone did not disable the endpoint")
		}
		time.Sleep(10 * time.Millisecond)
	}
	id2, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: ep, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("disabled endpoint got %d requests; want 1", n)
	}
	m, _ := d.Message(context.Background(), id)
	if m.State != webhook.Pending {
		t.Fatalf("message to the disabled endpoint is %v; want pending", m.State)
	}
	gone.Store(false)
	if err := d.EnableEndpoint(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	waitState(t, d, id, webhook.Delivered, 5*time.Second)
	waitState(t, d, id2, webhook.Delivered, 5*time.Second)
}

func testKilledWorker(t *testing.T, s webhook.Store) {
	rc := newReceiver(t, nil)
	ep := rc.url("/killed")
	d := newDispatcher(t, s, webhook.WithAllowedURLs(ep))
	id, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: ep, Payload: []byte(`{"k":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	// A worker leases the message and dies before attempting it.
	now := time.Now()
	m, ok, err := s.Lease(context.Background(), webhook.LeaseRequest{Now: now, Until: now.Add(500 * time.Millisecond), Token: "killed"})
	if err != nil || !ok || m.ID != id {
		t.Fatalf("Lease = %v, %v, %v", m.ID, ok, err)
	}
	start(t, d)
	time.Sleep(200 * time.Millisecond)
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("%d requests while the dead worker's lease was live", n)
	}
	waitState(t, d, id, webhook.Delivered, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	if reqs := rc.requests(); len(reqs) != 1 || reqs[0].id != id {
		t.Fatalf("receiver got %d requests; want the message once", len(reqs))
	}
	// The dead worker, were it to wake up, could record nothing.
	err = s.Finish(context.Background(), id, "killed", webhook.Result{Attempt: webhook.Attempt{Number: 1, At: now, Status: 200}, State: webhook.Delivered})
	if !errors.Is(err, webhook.ErrLeaseLost) {
		t.Fatalf("Finish by the dead worker = %v; want ErrLeaseLost", err)
	}
}

func testNoConcurrentAttempts(t *testing.T, s webhook.Store) {
	const n = 1000
	var (
		mu          sync.Mutex
		inflight    = map[string]bool{}
		concurrent  atomic.Int64
		deliveredBy = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Webhook-Id")
		mu.Lock()
		if inflight[id] {
			concurrent.Add(1)
		}
		inflight[id] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		fail := strings.HasSuffix(id, "7") // some messages fail once
		mu.Lock()
		delete(inflight, id)
		if fail && deliveredBy[id+"#failed"] == 0 {
			deliveredBy[id+"#failed"]++
			mu.Unlock()
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		deliveredBy[id]++
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	var ds []*webhook.Dispatcher
	for range 3 {
		d := newDispatcher(t, s, webhook.WithAllowPrivateNetworks(), webhook.WithWorkers(4), webhook.WithBreaker(1000, time.Second))
		ds = append(ds, d)
	}
	ids := make([]string, n)
	for i := range n {
		id, err := ds[i%3].Enqueue(context.Background(), webhook.Message{
			Endpoint: srv.URL + "/e" + string(rune('a'+i%5)), Payload: []byte(`{}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	for _, d := range ds {
		start(t, d)
	}
	for _, id := range ids {
		waitState(t, ds[0], id, webhook.Delivered, 60*time.Second)
	}
	if c := concurrent.Load(); c != 0 {
		t.Fatalf("%d attempts overlapped another attempt of the same message", c)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if deliveredBy[id] != 1 {
			t.Fatalf("message %s delivered %d times; want once", id, deliveredBy[id])
		}
	}
}

func testInternalRefused(t *testing.T, s webhook.Store) {
	rc := newReceiver(t, nil)
	d := newDispatcher(t, s)
	for _, ep := range []string{
		rc.url("/"), "http://localhost:1/", "http://LocalHost.:1/", "http://10.0.0.1/", "http://[::1]/", "http://169.254.169.254/latest/meta-data",
		"http://[::ffff:127.0.0.1]/", "ftp://example.com/", "/relative",
	} {
		_, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: ep, Payload: []byte(`{}`)})
		var ee *webhook.EndpointError
		if !errors.As(err, &ee) {
			t.Errorf("Enqueue(%s) = %v; want an *EndpointError", ep, err)
		}
	}
	// A message already in the store (enqueued by a replica allowed to,
	// or whose name now resolves inside) is refused when dialled.
	m := msg(rc.url("/inside"))
	m.CreatedAt, m.NextAt = time.Now(), time.Now()
	enqueue(t, s, m)
	start(t, d)
	got := waitState(t, d, m.ID, webhook.Dead, 5*time.Second)
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("internal endpoint got %d requests", n)
	}
	as, _ := d.Attempts(context.Background(), m.ID)
	if got.Attempts != 1 || len(as) != 1 || !strings.Contains(as[0].Error, "loopback") {
		t.Fatalf("attempts = %+v; want one refused as loopback", as)
	}
}

func testDeadReplayDelivered(t *testing.T, s webhook.Store) {
	var fail atomic.Bool
	fail.Store(true)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	ep := rc.url("/dead")
	d := newDispatcher(t, s, webhook.WithAllowedURLs(ep), webhook.WithSchedule(0, 20*time.Millisecond))
	start(t, d)
	id, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: ep, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, d, id, webhook.Dead, 5*time.Second)
	if n := len(rc.requests()); n != 2 {
		t.Fatalf("%d attempts before the dead letter; want 2", n)
	}
	page, err := d.DeadLetters(context.Background(), webhook.DeadQuery{Endpoint: ep})
	if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != id || page.Next != nil {
		t.Fatalf("DeadLetters = %+v, %v; want the one dead letter, no next page", page, err)
	}
	as, _ := d.Attempts(context.Background(), id)
	if len(as) != 2 || as[1].Status != 500 || !strings.Contains(as[1].Error, "broken") {
		t.Fatalf("attempts = %+v", as)
	}
	fail.Store(false)
	if err := d.Replay(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	m := waitState(t, d, id, webhook.Delivered, 5*time.Second)
	if m.Attempts != 3 || len(rc.requests()) != 3 {
		t.Fatalf("after replay: %d attempts, %d requests; want 3", m.Attempts, len(rc.requests()))
	}
	page, err = d.DeadLetters(context.Background(), webhook.DeadQuery{})
	if err != nil || len(page.Messages) != 0 || page.Next != nil {
		t.Fatalf("DeadLetters after the replay = %+v, %v; want none", page, err)
	}
	if err := d.Replay(context.Background(), id); !errors.Is(err, webhook.ErrNotDead) {
		t.Fatalf("Replay of a delivered message = %v; want ErrNotDead", err)
	}
}
