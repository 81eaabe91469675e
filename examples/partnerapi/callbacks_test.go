package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/apikit-go/apikit/signature"
)

// hookBackends are the stores the delivery tests run on: memory always,
// Redis and PostgreSQL when their URLs are set.
var hookBackends = []struct {
	name string
	env  string
	cfg  func(*config, string)
}{
	{"memory", "", func(*config, string) {}},
	{"redis", "APIKIT_REDIS_URL", func(c *config, u string) { c.RedisURL = u }},
	{"postgres", "APIKIT_POSTGRES_URL", func(c *config, u string) { c.PostgresURL = u }},
}

// TestCallbacks runs the demo with -callback-url and -webhook-url pointing
// at a receiver that verifies every signature: prescriptions are answered
// RECEIVED and their final ack arrives by callback, each new referral
// produces a referral status webhook, and a failed attempt is retried with
// the same webhook-id.
func TestCallbacks(t *testing.T) {
	for _, b := range hookBackends {
		t.Run(b.name, func(t *testing.T) {
			url := os.Getenv(b.env)
			if b.env != "" && url == "" {
				t.Skipf("set %s to run the delivery test against it (bash .ci/run does)", b.env)
			}
			recv := newReceiver(t)
			cfg := hookTestConfig(t, recv, "0s,1s,1s")
			b.cfg(&cfg, url)
			dropHookQueues(t, cfg)
			c := start(t, cfg)
			c.partner = "hooks-" + b.name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			patient := c.createPatient(validPatient)

			t.Run("confirmed by callback", func(t *testing.T) {
				c.t = t
				ref := c.prescribeReceived("phil_cb_1", patient, "Amoxicillin 500mg", 20)
				d := recv.next(t, "/cb")
				d.checkCallback(t, "phil_cb_1", ref, "CONFIRMED")
			})

			t.Run("error by callback", func(t *testing.T) {
				c.t = t
				ref := c.prescribeReceived("phil_cb_2", patient, "", 0)
				d := recv.next(t, "/cb")
				m := d.checkCallback(t, "phil_cb_2", ref, "ERROR")
				c.expect("error code", get(m, "error", "code"), "prescriptions/invalid")
			})

			t.Run("referral webhook", func(t *testing.T) {
				c.t = t
				body, _ := json.Marshal(map[string]any{"patient_id": patient, "reason": "Cardiology review", "urgency": "urgent"})
				key := "7f1c3a2e-5b7d-4c8e-9a1f-2b3c4d5e6f70"
				h := c.signed(body, key)
				h["API-Version"] = "2025-06-01"
				res := c.do("POST", "/functions/v1/referrals", body, h)
				c.status(res, 201)
				reqID := res.Header.Get("X-Request-Id")
				id, _ := get(c.json(res), "data", "referral_id").(string)

				d := recv.next(t, "/hooks")
				if d.verifyErr != nil {
					t.Fatalf("X-ICP-Signature does not verify: %v", d.verifyErr)
				}
				if d.header.Get("X-ICP-Signature") == "" || d.header.Get("Webhook-Signature") != "" {
					t.Fatalf("want X-ICP-Signature only, got %v", d.header)
				}
				c.expect("webhook-id", d.header.Get("Webhook-Id"), "evt_"+id)
				c.expect("event header", d.header.Get("Webhook-Event"), "referral.created")
				m := d.json(t)
				c.expect("data.referral_id", get(m, "data", "referral_id"), id)
				c.expect("data.patient_id", get(m, "data", "patient_id"), patient)
				c.expect("data.type", get(m, "data", "type"), "referral.created")
				c.expect("data.status", get(m, "data", "status"), "received")
				c.expect("meta.requestId", get(m, "meta", "requestId"), reqID)
				c.expect("meta.version", get(m, "meta", "version"), "2025-06-01")
				if ts, _ := get(m, "meta", "timestamp").(string); ts == "" {
					t.Fatalf("no meta.timestamp in %s", d.body)
				}

				// An idempotent replay of the POST queues no second webhook.
				res = c.do("POST", "/functions/v1/referrals", body, c.signed(body, key))
				c.status(res, 201)
				c.expect("replayed", res.Header.Get("Idempotent-Replayed"), "true")
				recv.none(t, "/hooks", 700*time.Millisecond)
			})

			t.Run("retry keeps the webhook-id", func(t *testing.T) {
				c.t = t
				recv.failNext("/cb", 1)
				ref := c.prescribeReceived("phil_cb_3", patient, "Ibuprofen 200mg", 10)
				first := recv.next(t, "/cb")
				if first.status != http.StatusServiceUnavailable {
					t.Fatalf("first attempt answered %d, want the receiver's 503", first.status)
				}
				second := recv.next(t, "/cb")
				second.checkCallback(t, "phil_cb_3", ref, "CONFIRMED")
				if first.verifyErr != nil {
					t.Fatalf("first attempt: %v", first.verifyErr)
				}
				c.expect("same webhook-id", second.header.Get("Webhook-Id"), first.header.Get("Webhook-Id"))
				c.expect("same body", string(second.body), string(first.body))
				if gap := second.at.Sub(first.at); gap < 900*time.Millisecond {
					t.Fatalf("retried after %v, before the Retry-After of 1 s", gap)
				}
			})
		})
	}
}

// TestCallbacksSurviveRestart queues a callback while the receiver is
// down, stops the demo, starts a new one on the same store, and sees the
// callback delivered by the new one.
func TestCallbacksSurviveRestart(t *testing.T) {
	for _, b := range hookBackends[1:] {
		t.Run(b.name, func(t *testing.T) {
			url := os.Getenv(b.env)
			if url == "" {
				t.Skipf("set %s to run the restart test against it (bash .ci/run does)", b.env)
			}
			recv := newReceiver(t)
			recv.failNext("/cb", 1_000_000) // down until told otherwise
			cfg := hookTestConfig(t, recv, "0s,1s,1s,1s,1s,1s,1s,1s,1s,1s")
			b.cfg(&cfg, url)
			dropHookQueues(t, cfg)

			c, stop := launch(t, cfg)
			c.partner = "restart-" + b.name
			patient := c.createPatient(validPatient)
			ref := c.prescribeReceived("phil_restart_1", patient, "Amoxicillin 500mg", 20)
			if d := recv.next(t, "/cb"); d.status != http.StatusServiceUnavailable {
				t.Fatalf("first attempt answered %d", d.status)
			}
			stop()
			recv.failNext("/cb", 0)
			recv.none(t, "/cb", 2500*time.Millisecond) // the stopped demo delivers nothing

			// The patient lived in the old process; the queued callback
			// lives in the store.
			launch(t, cfg)
			d := recv.next(t, "/cb")
			d.checkCallback(t, "phil_restart_1", ref, "CONFIRMED")
		})
	}
}

// TestHookFlags checks the delivery flags' validation.
func TestHookFlags(t *testing.T) {
	waits, err := parseSchedule("0s, 1s,2m")
	if err != nil || len(waits) != 3 || waits[0] != 0 || waits[1] != time.Second || waits[2] != 2*time.Minute {
		t.Fatalf("parseSchedule = %v, %v", waits, err)
	}
	for _, bad := range []string{"", "1s,", "1", "-1s", "1s;2s"} {
		if _, err := parseSchedule(bad); err == nil {
			t.Errorf("parseSchedule(%q) accepted", bad)
		}
	}
	base := config{Rate: "10/1m", SigningSecret: DemoSigningSecret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for name, h := range map[string]hookConfig{
		"ftp callback":             {CallbackURL: "ftp://127.0.0.1/cb"},
		"relative webhook":         {WebhookURL: "/hooks"},
		"bad schedule":             {CallbackURL: "http://127.0.0.1:9/cb", DeliverySchedule: "soon"},
		"schedule without any URL": {DeliverySchedule: "0s,1s"},
	} {
		cfg := base
		cfg.hookConfig = h
		if srv, err := newServer(context.Background(), cfg); err == nil {
			srv.Close()
			t.Errorf("%s: newServer accepted %+v", name, h)
		}
	}
	// Loopback is fine for the operator's own URLs.
	cfg := base
	cfg.hookConfig = hookConfig{CallbackURL: "http://127.0.0.1:9/cb", WebhookURL: "http://localhost:9/hooks"}
	srv, err := newServer(context.Background(), cfg)
	if err != nil {
		t.Fatalf("loopback URLs refused: %v", err)
	}
	srv.Close()
}

// hookTestConfig returns a demo configuration that delivers to recv, with
// queues of the test's own.
func hookTestConfig(t *testing.T, recv *receiver, schedule string) config {
	return config{
		Rate: "1000/1m", SigningSecret: DemoSigningSecret,
		hookConfig: hookConfig{
			CallbackURL:      recv.srv.URL + "/cb",
			WebhookURL:       recv.srv.URL + "/hooks",
			DeliverySchedule: schedule,
			HookNamespace:    "e2e" + strconv.FormatInt(time.Now().UnixNano(), 36),
		},
	}
}

// dropHookQueues removes the test's queues from Redis or PostgreSQL when
// the test ends (never anything but their own keys and tables).
func dropHookQueues(t *testing.T, cfg config) {
	ns := cfg.HookNamespace
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		switch {
		case cfg.PostgresURL != "":
			pool, err := pgxpool.New(ctx, cfg.PostgresURL)
			if err != nil {
				t.Logf("dropping the test's tables: %v", err)
				return
			}
			defer pool.Close()
			for _, q := range []string{"callbacks", "webhooks"} {
				for _, suffix := range []string{"_attempts", "_endpoints", ""} {
					if _, err := pool.Exec(ctx, "DROP TABLE IF EXISTS "+ns+"_"+q+suffix); err != nil {
						t.Logf("dropping the test's tables: %v", err)
					}
				}
			}
		case cfg.RedisURL != "":
			opts, err := redis.ParseURL(cfg.RedisURL)
			if err != nil {
				return
			}
			rdb := redis.NewClient(opts)
			defer rdb.Close()
			iter := rdb.Scan(ctx, 0, ns+":*", 1000).Iterator()
			for iter.Next(ctx) {
				rdb.Del(ctx, iter.Val())
			}
		}
	})
}

// launch runs the demo like start, and returns a function that stops it
// (as main does on SIGTERM); the test's end stops it too.
func launch(t *testing.T, cfg config) (*client, func()) {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := newServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = hs.Shutdown(context.Background())
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("serve: %v", err)
			}
			srv.Close()
		})
	}
	t.Cleanup(stop)
	signer, err := signature.NewSigner(signature.StandardWebhooks(), []string{cfg.SigningSecret})
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: "http://" + ln.Addr().String(), http: &http.Client{Timeout: 10 * time.Second}, signer: signer}, stop
}

// prescribeReceived posts a prescription, checks the RECEIVED answer and
// returns its referenceID.
func (c *client) prescribeReceived(requestID, patient, medication string, quantity int) string {
	c.t.Helper()
	res := c.do("POST", "/partner/prescriptions", map[string]any{
		"metadata":     map[string]any{"requestID": requestID, "requestTimestamp": "2024-09-11T11:58:00Z"},
		"prescription": map[string]any{"patient_id": patient, "medication": medication, "quantity": quantity},
	}, nil)
	c.status(res, 200)
	m := c.json(res)
	c.expect("requestID echoed", m["requestID"], requestID)
	c.expect("responseType", get(m, "metadata", "responseType"), "RECEIVED")
	ref, _ := get(m, "metadata", "referenceID").(string)
	if !strings.HasPrefix(ref, "rx_") {
		c.t.Fatalf("RECEIVED without a referenceID: %v", m)
	}
	return ref
}

// receiver is a partner's endpoint: it verifies every delivery's signature
// (Standard Webhooks on /cb, X-ICP-Signature on /hooks), records it, and
// answers 204, or 503 with Retry-After: 1 while told to fail.
type receiver struct {
	srv  *httptest.Server
	std  *signature.Verifier
	icp  *signature.Verifier
	got  map[string]chan delivery
	mu   sync.Mutex
	fail map[string]int
}

type delivery struct {
	header    http.Header
	body      []byte
	at        time.Time
	status    int   // what the receiver answered
	verifyErr error // nil when the signature verified
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	std, err := signature.NewVerifier(signature.StandardWebhooks(), []string{DemoSigningSecret})
	if err != nil {
		t.Fatal(err)
	}
	icp, err := signature.NewVerifier(signature.Stripe("X-ICP-Signature"), []string{DemoSigningSecret})
	if err != nil {
		t.Fatal(err)
	}
	rv := &receiver{std: std, icp: icp, fail: map[string]int{},
		got: map[string]chan delivery{"/cb": make(chan delivery, 100), "/hooks": make(chan delivery, 100)}}
	rv.srv = httptest.NewServer(http.HandlerFunc(rv.serve))
	t.Cleanup(rv.srv.Close)
	return rv
}

func (rv *receiver) serve(w http.ResponseWriter, r *http.Request) {
	ch, ok := rv.got[r.URL.Path]
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	v := rv.std
	if r.URL.Path == "/hooks" {
		v = rv.icp
	}
	_, verr := v.Verify(r.Context(), r.Header, body)
	d := delivery{header: r.Header.Clone(), body: body, at: time.Now(), status: http.StatusNoContent, verifyErr: verr}
	rv.mu.Lock()
	if rv.fail[r.URL.Path] > 0 {
		rv.fail[r.URL.Path]--
		d.status = http.StatusServiceUnavailable
	}
	rv.mu.Unlock()
	if d.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(d.status)
	ch <- d
}

// failNext makes the next n deliveries to path fail with a 503.
func (rv *receiver) failNext(path string, n int) {
	rv.mu.Lock()
	rv.fail[path] = n
	rv.mu.Unlock()
}

// next returns the next delivery to path, waiting up to 15 s.
func (rv *receiver) next(t *testing.T, path string) delivery {
	t.Helper()
	select {
	case d := <-rv.got[path]:
		return d
	case <-time.After(15 * time.Second):
		t.Fatalf("nothing delivered to %s within 15s", path)
		return delivery{}
	}
}

// none checks that nothing is delivered to path for d.
func (rv *receiver) none(t *testing.T, path string, d time.Duration) {
	t.Helper()
	select {
	case got := <-rv.got[path]:
		t.Fatalf("unexpected delivery to %s: %s %s", path, got.header.Get("Webhook-Id"), got.body)
	case <-time.After(d):
	}
}

func (d delivery) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(d.body, &m); err != nil {
		t.Fatalf("delivered body is not a JSON object: %v: %s", err, d.body)
	}
	return m
}

// checkCallback checks a delivered final acknowledgement: signed with
// Standard Webhooks headers, the ack dialect's body with the request's
// requestID and the RECEIVED answer's referenceID, and the wanted type.
func (d delivery) checkCallback(t *testing.T, requestID, ref, responseType string) map[string]any {
	t.Helper()
	if d.verifyErr != nil {
		t.Fatalf("Standard Webhooks signature does not verify: %v", d.verifyErr)
	}
	if d.header.Get("Webhook-Signature") == "" || d.header.Get("X-ICP-Signature") != "" {
		t.Fatalf("want Standard Webhooks headers only, got %v", d.header)
	}
	if got := d.header.Get("Webhook-Id"); got != "msg_"+ref {
		t.Fatalf("webhook-id %q, want %q", got, "msg_"+ref)
	}
	if got := d.header.Get("Webhook-Event"); got != eventPrescription {
		t.Fatalf("Webhook-Event %q", got)
	}
	m := d.json(t)
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"requestID", m["requestID"], requestID},
		{"referenceID", get(m, "metadata", "referenceID"), ref},
		{"responseType", get(m, "metadata", "responseType"), responseType},
		{"responseID", get(m, "metadata", "responseID"), "msg_" + ref},
	} {
		if c.got != c.want {
			t.Fatalf("callback %s = %#v, want %#v in %s", c.what, c.got, c.want, d.body)
		}
	}
	return m
}
