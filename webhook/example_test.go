package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/webhook"
)

// waitFor polls the message until it reaches state.
func waitFor(d *webhook.Dispatcher, id string, state webhook.State) webhook.Message {
	for {
		m, err := d.Message(context.Background(), id)
		if err == nil && m.State == state {
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A partner's receiver verifies the signature of each delivery; the
// service enqueues a message and a worker delivers it.
func Example() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	v, _ := signature.NewVerifier(signature.StandardWebhooks(), []string{secret})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		msg, err := v.Verify(r.Context(), r.Header, body)
		fmt.Println("received", msg.ID, string(body), "signature valid:", err == nil)
	}))
	defer receiver.Close()

	store, err := webhook.NewMemoryStore()
	if err != nil {
		panic(err)
	}
	// The receiver listens on loopback: allow its URL explicitly.
	d, err := webhook.New(store, []string{secret}, webhook.WithAllowedURLs(receiver.URL+"/hooks"))
	if err != nil {
		panic(err)
	}
	if err := d.Start(); err != nil {
		panic(err)
	}
	defer d.Shutdown(context.Background())

	id, err := d.Enqueue(context.Background(), webhook.Message{
		ID:       "evt_1",
		Endpoint: receiver.URL + "/hooks",
		Type:     "referral.updated",
		Payload:  []byte(`{"referral":"ref_123","status":"accepted"}`),
	})
	if err != nil {
		panic(err)
	}
	m := waitFor(d, id, webhook.Delivered)
	fmt.Println(m.State, "after", m.Attempts, "attempt")
	// Output:
	// received evt_1 {"referral":"ref_123","status":"accepted"} signature valid: true
	// delivered after 1 attempt
}

// Endpoints on internal addresses are refused: a partner-supplied URL
// must not reach the service's own network.
func ExampleDispatcher_Enqueue_refused() {
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret})
	for _, endpoint := range []string{
		"http://169.254.169.254/latest/meta-data",
		"http://localhost:8080/admin",
		"file:///etc/passwd",
	} {
		_, err := d.Enqueue(context.Background(), webhook.Message{Endpoint: endpoint})
		var refused *webhook.EndpointError
		fmt.Println(errors.As(err, &refused), refused.Reason)
	}
	// Output:
	// true link-local address 169.254.169.254
	// true loopback host localhost
	// true scheme must be http or https
}

// A message that fails on every attempt of the schedule becomes a dead
// letter; Replay sends it again once the receiver is fixed. Attempts
// lists what happened.
func ExampleDispatcher_Replay() {
	var fixed atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fixed.Load() {
			http.Error(w, "database down", http.StatusInternalServerError)
		}
	}))
	defer receiver.Close()
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL),
		webhook.WithSchedule(0, 10*time.Millisecond), // two attempts
		webhook.WithPollInterval(10*time.Millisecond))
	_ = d.Start()
	defer d.Shutdown(context.Background())

	id, _ := d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	fmt.Println(waitFor(d, id, webhook.Dead).State)
	fixed.Store(true)
	if err := d.Replay(context.Background(), id); err != nil {
		panic(err)
	}
	fmt.Println(waitFor(d, id, webhook.Delivered).State)
	attempts, _ := d.Attempts(context.Background(), id)
	for _, a := range attempts {
		fmt.Println(a.Number, a.Status, strings.TrimSpace(a.Error))
	}
	// Output:
	// dead
	// delivered
	// 1 500 500 Internal Server Error: database down
	// 2 500 500 Internal Server Error: database down
	// 3 200
}

// DeadLetters finds the dead letters, a page at a time in the order they
// died, or only one endpoint's, so that they can be replayed.
func ExampleDispatcher_DeadLetters() {
	var fixed atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !fixed.Load() {
			http.Error(w, "database down", http.StatusInternalServerError)
		}
	}))
	defer receiver.Close()
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL+"/a", receiver.URL+"/b"),
		webhook.WithSchedule(0), // one attempt
		webhook.WithPollInterval(10*time.Millisecond))
	_ = d.Start()
	defer d.Shutdown(context.Background())
	ctx := context.Background()
	for i, path := range []string{"/a", "/b", "/a"} {
		id, _ := d.Enqueue(ctx, webhook.Message{ID: fmt.Sprint("evt_", i+1), Endpoint: receiver.URL + path, Payload: []byte(`{}`)})
		waitFor(d, id, webhook.Dead)
	}

	q := webhook.DeadQuery{Limit: 2}
	for {
		page, err := d.DeadLetters(ctx, q)
		if err != nil {
			panic(err)
		}
		for _, m := range page.Messages {
			fmt.Println(m.ID, strings.TrimPrefix(m.Endpoint, receiver.URL), m.State)
		}
		if page.Next == nil {
			break
		}
		fmt.Println("next page")
		q.After = page.Next
	}

	// /a is fixed: replay its dead letters (one page of up to 100 here).
	fixed.Store(true)
	page, _ := d.DeadLetters(ctx, webhook.DeadQuery{Endpoint: receiver.URL + "/a"})
	for _, m := range page.Messages {
		_ = d.Replay(ctx, m.ID)
		fmt.Println("replayed", m.ID, waitFor(d, m.ID, webhook.Delivered).State)
	}
	page, _ = d.DeadLetters(ctx, webhook.DeadQuery{})
	fmt.Println(len(page.Messages), "dead letter left:", page.Messages[0].ID)
	// Output:
	// evt_1 /a dead
	// evt_2 /b dead
	// next page
	// evt_3 /a dead
	// replayed evt_1 delivered
	// replayed evt_3 delivered
	// 1 dead letter left: evt_2
}

// A 410 Gone answer disables the endpoint: its messages wait until it is
// re-enabled.
func ExampleDispatcher_EnableEndpoint() {
	var gone atomic.Bool
	gone.Store(true)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gone.Load() {
			w.WriteHeader(http.StatusGone)
		}
	}))
	defer receiver.Close()
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret},
		webhook.WithAllowedURLs(receiver.URL), webhook.WithPollInterval(10*time.Millisecond))
	_ = d.Start()
	defer d.Shutdown(context.Background())

	id, _ := d.Enqueue(context.Background(), webhook.Message{Endpoint: receiver.URL, Payload: []byte(`{}`)})
	for {
		if disabled, _ := d.EndpointDisabled(context.Background(), receiver.URL); disabled {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	m, _ := d.Message(context.Background(), id)
	fmt.Println("endpoint disabled; message", m.State)
	gone.Store(false)
	_ = d.EnableEndpoint(context.Background(), receiver.URL)
	fmt.Println("re-enabled; message", waitFor(d, id, webhook.Delivered).State)
	// Output:
	// endpoint disabled; message pending
	// re-enabled; message delivered
}

// WithSignatureHeader signs in the "t=…,v1=…" format under a header of
// the partner's choice, here seed 004's X-ICP-Signature.
func ExampleWithSignatureHeader() {
	v, _ := signature.NewVerifier(signature.Stripe("X-ICP-Signature"), []string{"partner-secret"})
	done := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := v.Verify(r.Context(), r.Header, body)
		fmt.Println(strings.HasPrefix(r.Header.Get("X-ICP-Signature"), "t="), r.Header.Get("Webhook-Id"), err == nil)
		close(done)
	}))
	defer receiver.Close()
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{"partner-secret"},
		webhook.WithSignatureHeader("X-ICP-Signature"), webhook.WithAllowedURLs(receiver.URL))
	_ = d.Start()
	defer d.Shutdown(context.Background())
	_, _ = d.Enqueue(context.Background(), webhook.Message{ID: "evt_7", Endpoint: receiver.URL, Payload: []byte(`{"data":{}}`)})
	<-done
	// Output:
	// true evt_7 true
}

// WithObserver reports every attempt, for metrics and logs.
func ExampleWithObserver() {
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	done := make(chan struct{})
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret}, webhook.WithAllowedURLs(receiver.URL),
		webhook.WithObserver(func(e webhook.Event) {
			fmt.Println(e.Message.ID, "attempt", e.Attempt.Number, e.Outcome, e.Attempt.Status)
			close(done)
		}))
	_ = d.Start()
	defer d.Shutdown(context.Background())
	_, _ = d.Enqueue(context.Background(), webhook.Message{ID: "evt_9", Endpoint: receiver.URL, Payload: []byte(`{}`)})
	<-done
	// Output:
	// evt_9 attempt 1 delivered 200
}

// A memory store keeps at most WithMaxEntries messages; delivered ones
// make room first.
func ExampleNewMemoryStore() {
	store, err := webhook.NewMemoryStore(webhook.WithMaxEntries(1))
	if err != nil {
		panic(err)
	}
	d, _ := webhook.New(store, []string{secret})
	_, err = d.Enqueue(context.Background(), webhook.Message{Endpoint: "https://example.com/a"})
	fmt.Println(err)
	_, err = d.Enqueue(context.Background(), webhook.Message{Endpoint: "https://example.com/b"})
	fmt.Println(err)
	// Output:
	// <nil>
	// webhook: store full
}

// CheckEndpoint validates a partner-supplied URL when it is registered;
// the refusal is a 422 problem any error writer can answer with.
func ExampleDispatcher_CheckEndpoint() {
	store, _ := webhook.NewMemoryStore()
	d, _ := webhook.New(store, []string{secret})
	err := d.CheckEndpoint("http://10.0.0.7/hooks")
	p := problem.From(err)
	fmt.Println(p.Status, p.Code, p.Detail)
	fmt.Println(d.CheckEndpoint("https://partner.example.com/hooks"))
	// Output:
	// 422 webhooks/endpoint-refused The endpoint URL is refused: private address 10.0.0.7
	// <nil>
}

func ExampleWithTransportConfig() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	store, _ := webhook.NewMemoryStore()
	var handshake time.Duration
	// f runs for each transport New builds (with and without the address
	// check for WithAllowedURLs), before the dialer is put back.
	_, err := webhook.New(store, []string{secret}, webhook.WithTimeout(5*time.Second),
		webhook.WithTransportConfig(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 4
			handshake = t.TLSHandshakeTimeout
		}))
	fmt.Println(err, handshake)
	// Output: <nil> 5s
}
