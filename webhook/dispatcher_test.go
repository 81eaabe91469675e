package webhook_test

import (
	"context"
	"errors"
	"io"
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

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func fast(extra ...webhook.Option) []webhook.Option {
	return append([]webhook.Option{
		webhook.WithSchedule(0, 20*time.Millisecond, 20*time.Millisecond),
		webhook.WithJitter(0),
		webhook.WithTimeout(time.Second),
		webhook.WithStoreTimeout(time.Second),
		webhook.WithLease(5 * time.Second),
		webhook.WithPollInterval(10 * time.Millisecond),
		webhook.WithAllowPrivateNetworks(),
	}, extra...)
}

func newMemory(t *testing.T) *webhook.MemoryStore {
	t.Helper()
	s, err := webhook.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, s webhook.Store, opts ...webhook.Option) *webhook.Dispatcher {
	t.Helper()
	d, err := webhook.New(s, []string{secret}, fast(opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = d.Shutdown(ctx)
	})
	return d
}

func wait(t *testing.T, d *webhook.Dispatcher, id string, want webhook.State) webhook.Message {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := d.Message(context.Background(), id)
		if err == nil && m.State == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is %v (%v); want %v", id, m.State, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func enqueue(t *testing.T, d *webhook.Dispatcher, endpoint, payload string) string {
	t.Helper()
	id, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: endpoint, Type: "t", Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestNewRejectsBadOptions(t *testing.T) {
	s := newMemory(t)
	for name, opts := range map[string][]webhook.Option{
		"no workers":        {webhook.WithWorkers(0)},
		"empty schedule":    {webhook.WithSchedule()},
		"negative wait":     {webhook.WithSchedule(-time.Second)},
		"jitter 1":          {webhook.WithJitter(1)},
		"zero timeout":      {webhook.WithTimeout(0)},
		"short lease":       {webhook.WithLease(time.Second), webhook.WithTimeout(time.Second)},
		"bad breaker":       {webhook.WithBreaker(0, time.Second)},
		"no concurrency":    {webhook.WithEndpointConcurrency(0)},
		"empty header":      {webhook.WithSignatureHeader("")},
		"memory option":     {webhook.WithMaxEntries(10)},
		"zero payload size": {webhook.WithMaxPayloadBytes(0)},
	} {
		if _, err := webhook.New(s, []string{secret}, opts...); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := webhook.New(nil, []string{secret}); err == nil {
		t.Error("nil store: New succeeded")
	}
	if _, err := webhook.New(s, nil); err == nil {
		t.Error("no secrets: New succeeded")
	}
	if _, err := webhook.New(s, []string{"whsec_!!!"}); err == nil {
		t.Error("bad secret: New succeeded")
	}
	if _, err := webhook.NewMemoryStore(webhook.WithWorkers(2)); err == nil {
		t.Error("dispatcher option: NewMemoryStore succeeded")
	}
}

func TestEnqueueValidates(t *testing.T) {
	d, err := webhook.New(newMemory(t), []string{secret}, webhook.WithMaxPayloadBytes(8))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := d.Enqueue(ctx, webhook.Message{Endpoint: "https://example.com/", Payload: []byte("123456789")}); err == nil {
		t.Error("payload over the limit accepted")
	}
	if _, err := d.Enqueue(ctx, webhook.Message{ID: "a.b", Endpoint: "https://example.com/"}); err == nil {
		t.Error("id with a dot accepted")
	}
	id, err := d.Enqueue(ctx, webhook.Message{ID: "evt_1", Endpoint: "https://example.com/"})
	if err != nil || id != "evt_1" {
		t.Fatalf("Enqueue = %q, %v", id, err)
	}
	id, err = d.Enqueue(ctx, webhook.Message{ID: "evt_1", Endpoint: "https://example.com/other"})
	if err != nil || id != "evt_1" {
		t.Fatalf("second Enqueue = %q, %v; want the same id, no error", id, err)
	}
	if m, _ := d.Message(ctx, id); m.Endpoint != "https://example.com/" {
		t.Fatalf("second Enqueue replaced the message: %+v", m)
	}
	id, err = d.Enqueue(ctx, webhook.Message{Endpoint: "https://example.com/"})
	if err != nil || !strings.HasPrefix(id, "msg_") {
		t.Fatalf("Enqueue without id = %q, %v; want a new msg_ id", id, err)
	}
}

func TestAllowedURLIsExact(t *testing.T) {
	d, err := webhook.New(newMemory(t), []string{secret}, webhook.WithAllowedURLs("http://127.0.0.1:8080/callback"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := d.Enqueue(ctx, webhook.Message{Endpoint: "http://127.0.0.1:8080/callback"}); err != nil {
		t.Errorf("allowed URL refused: %v", err)
	}
	var ee *webhook.EndpointError
	if _, err := d.Enqueue(ctx, webhook.Message{Endpoint: "http://127.0.0.1:8080/admin"}); !errors.As(err, &ee) {
		t.Errorf("another path on the allowed host: %v; want an *EndpointError", err)
	}
}

// A name that resolves to loopback passes Enqueue (resolution happens at
// dial time) and is refused when dialled.
func TestNameResolvingInsideRefusedAtDial(t *testing.T) {
	hits := atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	s := newMemory(t)
	d, err := webhook.New(s, []string{secret}, webhook.WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	// localhost.localdomain is not caught by name; it resolves through
	// /etc/hosts or the resolver, or fails: either way nothing is sent.
	m := webhook.Message{ID: "m1", Endpoint: "http://localhost.localdomain" + port + "/", CreatedAt: time.Now(), NextAt: time.Now()}
	if _, err := s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for {
		as, _ := d.Attempts(context.Background(), "m1")
		if len(as) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no attempt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if hits.Load() != 0 {
		t.Fatal("a name resolving to loopback was dialled")
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var target atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/target", func(http.ResponseWriter, *http.Request) { target.Add(1) })
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d := run(t, newMemory(t))
	id := enqueue(t, d, srv.URL+"/hook", `{}`)
	wait(t, d, id, webhook.Dead)
	as, _ := d.Attempts(context.Background(), id)
	if target.Load() != 0 || len(as) != 3 || as[0].Status != 302 || !strings.Contains(as[0].Error, "redirect") {
		t.Fatalf("redirect target hit %d times; attempts %+v", target.Load(), as)
	}
}

func TestTimeoutAndLargeAnswer(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, strings.Repeat("x", 1<<20))
	}))
	defer srv.Close()
	d := run(t, newMemory(t), webhook.WithTimeout(100*time.Millisecond), webhook.WithLease(time.Second), webhook.WithStoreTimeout(100*time.Millisecond))
	id := enqueue(t, d, srv.URL, `{}`)
	wait(t, d, id, webhook.Dead)
	as, _ := d.Attempts(context.Background(), id)
	if len(as) != 3 || as[0].Status != 0 || !strings.Contains(as[0].Error, "timeout") && !strings.Contains(as[0].Error, "deadline") {
		t.Fatalf("attempts = %+v; want a timeout first", as)
	}
	if as[1].Status != 400 || len(as[1].Error) > 300 {
		t.Fatalf("second attempt: status %d, error of %d bytes; want 400 and a short error", as[1].Status, len(as[1].Error))
	}
}

func TestStripeStyleSignature(t *testing.T) {
	v, err := signature.NewVerifier(signature.Stripe("X-ICP-Signature"), []string{"s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	var ok, sameID atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := v.Verify(r.Context(), r.Header, body)
		ok.Store(err == nil && strings.HasPrefix(r.Header.Get("X-ICP-Signature"), "t="))
		sameID.Store(r.Header.Get("Webhook-Id") == "evt_42")
	}))
	defer srv.Close()
	s := newMemory(t)
	d, err := webhook.New(s, []string{"s3cret"}, fast(webhook.WithSignatureHeader("X-ICP-Signature"))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	if _, err := d.Enqueue(context.Background(), webhook.Message{ID: "evt_42", Endpoint: srv.URL, Payload: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	wait(t, d, "evt_42", webhook.Delivered)
	if !ok.Load() || !sameID.Load() {
		t.Fatalf("signature valid %v, webhook-id kept %v", ok.Load(), sameID.Load())
	}
}

func TestBreakerPausesFailingEndpoint(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	d := run(t, newMemory(t), webhook.WithBreaker(2, time.Hour), webhook.WithWorkers(1),
		webhook.WithSchedule(0, time.Millisecond, time.Millisecond, time.Millisecond))
	for range 5 {
		enqueue(t, d, srv.URL, `{}`)
	}
	time.Sleep(300 * time.Millisecond)
	if n := hits.Load(); n != 2 {
		t.Fatalf("endpoint hit %d times; want 2, then the breaker open", n)
	}
}

func TestEndpointConcurrencyLimit(t *testing.T) {
	var in, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := in.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		in.Add(-1)
	}))
	defer srv.Close()
	d := run(t, newMemory(t), webhook.WithWorkers(8), webhook.WithEndpointConcurrency(2))
	var ids []string
	for range 40 {
		ids = append(ids, enqueue(t, d, srv.URL, `{}`))
	}
	for _, id := range ids {
		wait(t, d, id, webhook.Delivered)
	}
	if p := peak.Load(); p > 2 || p < 1 {
		t.Fatalf("peak concurrency %d; want at most 2", p)
	}
}

func TestOrderedDelivery(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
		n   atomic.Int64
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if n.Add(1)%3 == 0 { // every third attempt fails and is retried
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer srv.Close()
	d := run(t, newMemory(t), webhook.WithOrdered(), webhook.WithWorkers(4),
		webhook.WithSchedule(0, time.Millisecond, time.Millisecond, time.Millisecond))
	var ids []string
	for i := range 20 {
		ids = append(ids, enqueue(t, d, srv.URL, string(rune('a'+i))))
	}
	for _, id := range ids {
		wait(t, d, id, webhook.Delivered)
	}
	mu.Lock()
	defer mu.Unlock()
	if s := strings.Join(got, ""); s != "abcdefghijklmnopqrst" {
		t.Fatalf("delivered in order %q", s)
	}
}

func TestShutdownReleasesInFlight(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(release)
	s := newMemory(t)
	var events []webhook.Event
	var mu sync.Mutex
	// One attempt only: an attempt cut short by Shutdown must not count,
	// or the message would be a dead letter.
	d, err := webhook.New(s, []string{secret}, fast(webhook.WithSchedule(0), webhook.WithObserver(func(e webhook.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}))...)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	id := enqueue(t, d, srv.URL, `{}`)
	for hits.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v; want the deadline", err)
	}
	m, _ := d.Message(context.Background(), id)
	if m.State != webhook.Pending || m.Attempts != 0 || m.NextAt.After(time.Now()) {
		t.Fatalf("after Shutdown: %+v; want released, due now, no attempt counted", m)
	}
	mu.Lock()
	if len(events) != 1 || events[0].Outcome != webhook.OutcomeReleased {
		t.Fatalf("events = %+v; want one release", events)
	}
	mu.Unlock()
	// Another dispatcher takes it over at once.
	d2 := run(t, s)
	wait(t, d2, id, webhook.Delivered)
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatalf("second Shutdown = %v", err)
	}
}

func TestObserverSeesEveryAttempt(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	var mu sync.Mutex
	var outcomes []string
	d := run(t, newMemory(t), webhook.WithObserver(func(e webhook.Event) {
		mu.Lock()
		outcomes = append(outcomes, e.Outcome.String())
		mu.Unlock()
	}))
	id := enqueue(t, d, srv.URL, `{}`)
	wait(t, d, id, webhook.Delivered)
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(outcomes, ",") != "retry,delivered" {
		t.Fatalf("outcomes = %v", outcomes)
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	s, err := webhook.NewMemoryStore(webhook.WithMaxEntries(2))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"a", "b"} {
		if _, err := s.Enqueue(ctx, webhook.Message{ID: id, Endpoint: "https://example.com/", NextAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Enqueue(ctx, webhook.Message{ID: "c", Endpoint: "https://example.com/"}); !errors.Is(err, webhook.ErrStoreFull) {
		t.Fatalf("third Enqueue = %v; want ErrStoreFull", err)
	}
	m, _, _ := s.Lease(ctx, webhook.LeaseRequest{Now: now, Until: now.Add(time.Minute), Token: "t"})
	_ = s.Finish(ctx, m.ID, "t", webhook.Result{Attempt: webhook.Attempt{Number: 1, At: now, Status: 200}, State: webhook.Delivered})
	if _, err := s.Enqueue(ctx, webhook.Message{ID: "c", Endpoint: "https://example.com/"}); err != nil {
		t.Fatalf("Enqueue after a delivery = %v; want the delivered message dropped", err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d", s.Len())
	}
}

// The default schedule is Standard Webhooks': after the first failure the
// next attempt is 5 s later, after the second 5 min; time comes from the
// injected clock.
func TestDefaultScheduleWithClock(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	d, err := webhook.New(newMemory(t), []string{secret}, webhook.WithClock(clock), webhook.WithJitter(0),
		webhook.WithAllowPrivateNetworks(), webhook.WithPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(context.Background())
	id := enqueue(t, d, srv.URL, `{}`)
	waitAttempts := func(n int) webhook.Message {
		deadline := time.Now().Add(5 * time.Second)
		for {
			m, _ := d.Message(context.Background(), id)
			if m.Attempts == n {
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("attempts = %d; want %d", m.Attempts, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	start := clock()
	if m := waitAttempts(1); !m.NextAt.Equal(start.Add(5 * time.Second)) {
		t.Fatalf("after the first failure NextAt = %v; want +5s", m.NextAt.Sub(start))
	}
	time.Sleep(50 * time.Millisecond)
	if m, _ := d.Message(context.Background(), id); m.Attempts != 1 {
		t.Fatalf("attempted again before the clock moved: %d", m.Attempts)
	}
	advance(5 * time.Second)
	if m := waitAttempts(2); !m.NextAt.Equal(start.Add(5*time.Second + 5*time.Minute)) {
		t.Fatalf("after the second failure NextAt = %v; want +5s+5m", m.NextAt.Sub(start))
	}
}
