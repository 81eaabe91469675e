package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/client"
)

// newTransport returns a transport with a fake clock and no jitter worth
// waiting for.
func newTransport(t *testing.T, clock *fakeClock, opts ...client.Option) *client.Transport {
	t.Helper()
	opts = append([]client.Option{client.WithClock(clock.now), client.WithSleep(clock.sleep)}, opts...)
	tr, err := client.NewTransport(nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func send(t *testing.T, tr http.RoundTripper, method, url, body string) (*http.Response, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDialRefused(t *testing.T) {
	addr := freeAddr(t)
	clock := newFakeClock()
	var started sync.Once
	var srv *http.Server
	var hits int
	sleep := func(ctx context.Context, d time.Duration) error {
		if len(clock.slept()) == 1 { // the server comes up after the second refusal
			started.Do(func() {
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					hits++
					w.WriteHeader(201)
				})}
				go srv.Serve(ln)
			})
		}
		return clock.sleep(ctx, d)
	}
	// Keys off: a POST is retried only because nothing was sent.
	tr := newTransport(t, clock, client.WithSleep(sleep), client.WithIdempotencyKeys(false))
	resp, err := send(t, tr, "POST", "http://"+addr+"/orders", `{"n":1}`)
	if srv != nil {
		defer srv.Close()
	}
	if err != nil {
		t.Fatalf("POST after two refused dials: %v", err)
	}
	if resp.StatusCode != 201 || hits != 1 || len(clock.slept()) != 2 {
		t.Fatalf("status %d, server hits %d, waits %v; want 201, 1, two waits", resp.StatusCode, hits, clock.slept())
	}

	// Nobody ever listens: the error says so after the last attempt.
	dead := freeAddr(t)
	c, err := client.New(client.WithClock(clock.now), client.WithSleep(clock.sleep), client.WithMaxAttempts(3))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Call[map[string]any](context.Background(), c, "GET", "http://"+dead+"/x", nil)
	var op *net.OpError
	if !errors.As(err, &op) || !strings.Contains(err.Error(), "(attempts: 3)") {
		t.Fatalf("err = %v; want a dial error after 3 attempts", err)
	}
}

func TestConnectionResetAfterSend(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		opts      []client.Option
		wantHits  int
		wantError bool
	}{
		{"GET is retried", "GET", nil, 2, false},
		{"POST without key is not", "POST", []client.Option{client.WithIdempotencyKeys(false)}, 1, true},
		{"POST with automatic key is", "POST", nil, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := script(t, reset, status(200, `{}`))
			tr := newTransport(t, newFakeClock(), tc.opts...)
			_, err := send(t, tr, tc.method, srv.URL, "body")
			reqs := srv.requests()
			if len(reqs) != tc.wantHits || (err != nil) != tc.wantError {
				t.Fatalf("server saw %d requests, err %v; want %d, error %v", len(reqs), err, tc.wantHits, tc.wantError)
			}
			for _, r := range reqs {
				if r.body != "body" {
					t.Fatalf("attempt sent body %q", r.body)
				}
			}
			if tc.method == "POST" && len(reqs) == 2 {
				k1, k2 := reqs[0].header.Get("Idempotency-Key"), reqs[1].header.Get("Idempotency-Key")
				if !uuidV4.MatchString(k1) || k1 != k2 {
					t.Fatalf("keys %q, %q; want one UUID v4 on both attempts", k1, k2)
				}
			}
		})
	}
}

func TestServiceUnavailableRetryAfter(t *testing.T) {
	clock := newFakeClock()
	tests := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "2", 2 * time.Second},
		{"HTTP-date", clock.now().Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := script(t, status(503, "", "Retry-After", tc.retryAfter), status(200, `{}`))
			// A POST without key: 503 is retried for any method.
			resp, err := send(t, newTransport(t, clock, client.WithIdempotencyKeys(false)), "POST", srv.URL, "x")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v, %v; want 200", resp, err)
			}
			if w := clock.slept(); len(w) != 1 || w[0] < tc.want {
				t.Fatalf("waits %v; want one of at least %v", w, tc.want)
			}
		})
	}
}

func TestTooManyRequestsRateLimitFields(t *testing.T) {
	clock := newFakeClock()
	date := clock.now().Format(http.TimeFormat)
	tests := []struct {
		name   string
		header []string
		want   time.Duration
	}{
		{"X-RateLimit-*", []string{"Date", date, "X-RateLimit-Limit", "10", "X-RateLimit-Remaining", "0",
			"X-RateLimit-Reset", strconv.FormatInt(clock.now().Add(5*time.Second).Unix(), 10)}, 5 * time.Second},
		{"IETF RateLimit", []string{"RateLimit-Policy", `"default";q=10;w=60`, "RateLimit", `"default";r=0;t=4`}, 4 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			srv := script(t, status(429, "", tc.header...), status(200, `{}`))
			resp, err := send(t, newTransport(t, clock), "GET", srv.URL, "")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("got %v, %v; want 200", resp, err)
			}
			if w := clock.slept(); len(w) != 1 || w[0] < tc.want || w[0] > tc.want+time.Second {
				t.Fatalf("waits %v; want one of %v", w, tc.want)
			}
		})
	}
}

func TestServerErrorOnPost(t *testing.T) {
	t.Run("keys off: not retried", func(t *testing.T) {
		srv := script(t, status(500, ""), status(201, `{}`))
		resp, err := send(t, newTransport(t, newFakeClock(), client.WithIdempotencyKeys(false)), "POST", srv.URL, "x")
		reqs := srv.requests()
		if err != nil || resp.StatusCode != 500 || len(reqs) != 1 || reqs[0].header.Get("Idempotency-Key") != "" {
			t.Fatalf("status %v, err %v, %d requests; want the 500 after one keyless request", resp.StatusCode, err, len(reqs))
		}
	})
	t.Run("keys on: retried with the same key", func(t *testing.T) {
		srv := script(t, status(500, ""), status(500, ""), status(201, `{}`))
		resp, err := send(t, newTransport(t, newFakeClock()), "POST", srv.URL, "x")
		reqs := srv.requests()
		if err != nil || resp.StatusCode != 201 || len(reqs) != 3 {
			t.Fatalf("status %v, err %v, %d requests; want 201 after 3", resp.StatusCode, err, len(reqs))
		}
		key := reqs[0].header.Get("Idempotency-Key")
		for _, r := range reqs {
			if got := r.header.Get("Idempotency-Key"); got != key || !uuidV4.MatchString(got) {
				t.Fatalf("keys differ or are not UUID v4: %q vs %q", got, key)
			}
		}
	})
	t.Run("a caller's key is kept", func(t *testing.T) {
		srv := script(t, status(502, ""), status(201, `{}`))
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader("x"))
		req.Header.Set("Idempotency-Key", "order-42")
		resp, err := newTransport(t, newFakeClock(), client.WithIdempotencyKeys(false)).RoundTrip(req)
		reqs := srv.requests()
		if err != nil || resp.StatusCode != 201 || len(reqs) != 2 || reqs[1].header.Get("Idempotency-Key") != "order-42" {
			t.Fatalf("status %v, err %v, %d requests", resp.StatusCode, err, len(reqs))
		}
	})
	t.Run("4xx never", func(t *testing.T) {
		srv := script(t, status(400, ""), status(201, `{}`))
		resp, err := send(t, newTransport(t, newFakeClock()), "GET", srv.URL, "")
		if err != nil || resp.StatusCode != 400 || len(srv.requests()) != 1 {
			t.Fatalf("status %v, err %v, %d requests", resp.StatusCode, err, len(srv.requests()))
		}
	})
	t.Run("retryable problem on 501 with a key", func(t *testing.T) {
		srv := script(t, status(501, `{"type":"about:blank","status":501,"code":"internal/unavailable"}`, "Content-Type", "application/problem+json"), status(201, `{}`))
		resp, err := send(t, newTransport(t, newFakeClock()), "POST", srv.URL, "x")
		if err != nil || resp.StatusCode != 201 || len(srv.requests()) != 2 {
			t.Fatalf("status %v, err %v, %d requests", resp.StatusCode, err, len(srv.requests()))
		}
	})
}

func TestKeyInProgress(t *testing.T) {
	inProgress := `{"type":"https://example.com/errors/idempotency-in-progress","title":"Request in progress","status":409,"code":"idempotency/in-progress"}`
	conflict := `{"success":false,"statusCode":409,"error":{"type":"https://parchment.health/errors/partner-patient-id-conflict","title":"Partner patient ID conflict"}}`
	standard := `{"success":false,"statusCode":409,"error":{"type":"https://parchment.health/errors/idempotency-in-progress","title":"Request in progress"}}`
	for name, body := range map[string]string{"waits Retry-After, same key (code)": inProgress, "waits Retry-After, same key (standard type)": standard} {
		t.Run(name, func(t *testing.T) { keyInProgress(t, body) })
	}
	t.Run("other conflicts are final", func(t *testing.T) {
		srv := script(t, status(409, conflict), status(201, `{}`))
		resp, err := send(t, newTransport(t, newFakeClock()), "POST", srv.URL, "x")
		if err != nil || resp.StatusCode != 409 || len(srv.requests()) != 1 {
			t.Fatalf("status %v, err %v, %d requests", resp.StatusCode, err, len(srv.requests()))
		}
		if b, _ := io.ReadAll(resp.Body); string(b) != conflict {
			t.Fatalf("body %q; want the server's, unread", b)
		}
	})
}

func keyInProgress(t *testing.T, body string) {
	{
		clock := newFakeClock()
		srv := script(t, status(409, body, "Retry-After", "3"), status(201, `{}`))
		resp, err := send(t, newTransport(t, clock), "POST", srv.URL, "x")
		reqs := srv.requests()
		if err != nil || resp.StatusCode != 201 || len(reqs) != 2 {
			t.Fatalf("status %v, err %v, %d requests", resp.StatusCode, err, len(reqs))
		}
		if k := reqs[0].header.Get("Idempotency-Key"); k == "" || k != reqs[1].header.Get("Idempotency-Key") {
			t.Fatal("the retry did not carry the same key")
		}
		if w := clock.slept(); len(w) != 1 || w[0] != 3*time.Second {
			t.Fatalf("waits %v; want [3s]", w)
		}
	}
}

func TestDeadlineShorterThanServerWait(t *testing.T) {
	srv := script(t, status(503, `{"title":"down"}`, "Retry-After", "5"), status(200, `{}`))
	tr, err := client.NewTransport(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	start := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("err %v; want the last answer", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if took := time.Since(start); resp.StatusCode != 503 || string(b) != `{"title":"down"}` || took > 300*time.Millisecond || len(srv.requests()) != 1 {
		t.Fatalf("status %d body %q after %v and %d requests; want the 503 at once", resp.StatusCode, b, took, len(srv.requests()))
	}
}

func TestBudgetCapsRetriesInOutage(t *testing.T) {
	const n = 100
	run := func(opts ...client.Option) int {
		clock := newFakeClock()
		clock.advance = false // the whole outage within one window
		srv := script(t, status(503, ""))
		tr := newTransport(t, clock, opts...)
		for range n {
			resp, err := send(t, tr, "GET", srv.URL, "")
			if err != nil || resp.StatusCode != 503 {
				t.Fatalf("got %v, %v; want the 503", resp, err)
			}
		}
		return len(srv.requests()) - n
	}
	unbudgeted := run(client.WithRetryBudget(0, 1<<30))
	budgeted := run() // default: 10 + 20% of requests
	t.Logf("total outage, %d requests: %d retries without a budget, %d with the default budget", n, unbudgeted, budgeted)
	if unbudgeted != 3*n {
		t.Fatalf("without a budget: %d retries, want %d", unbudgeted, 3*n)
	}
	if budgeted > 10+n/5 || budgeted < 10 {
		t.Fatalf("with the budget: %d retries, want 10..%d", budgeted, 10+n/5)
	}
}

func TestBodyBeyondBuffer(t *testing.T) {
	nopBody := func(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
	t.Run("small body without GetBody is buffered and replayed", func(t *testing.T) {
		srv := script(t, status(503, ""), status(200, ""))
		req, _ := http.NewRequest("PUT", srv.URL, nil)
		req.Body = nopBody("0123456789")
		resp, err := newTransport(t, newFakeClock(), client.WithMaxBufferedBytes(10)).RoundTrip(req)
		reqs := srv.requests()
		if err != nil || resp.StatusCode != 200 || len(reqs) != 2 || reqs[1].body != "0123456789" {
			t.Fatalf("status %v err %v requests %+v", resp.StatusCode, err, reqs)
		}
	})
	t.Run("larger body is sent once", func(t *testing.T) {
		srv := script(t, status(503, ""), status(200, ""))
		req, _ := http.NewRequest("PUT", srv.URL, nil)
		req.Body = nopBody("0123456789A")
		resp, err := newTransport(t, newFakeClock(), client.WithMaxBufferedBytes(10)).RoundTrip(req)
		reqs := srv.requests()
		if err != nil || resp.StatusCode != 503 || len(reqs) != 1 || reqs[0].body != "0123456789A" {
			t.Fatalf("status %v err %v requests %+v", resp.StatusCode, err, reqs)
		}
	})
	t.Run("the error says why", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", "http://"+freeAddr(t)+"/", nil)
		req.Body = nopBody("0123456789A")
		_, err := newTransport(t, newFakeClock(), client.WithMaxBufferedBytes(10)).RoundTrip(req)
		if !errors.Is(err, client.ErrBodyNotReplayable) {
			t.Fatalf("err = %v; want ErrBodyNotReplayable", err)
		}
	})
}

func TestOptionsValidated(t *testing.T) {
	bad := [][]client.Option{
		{client.WithMaxAttempts(0)},
		{client.WithBackoff(time.Second, time.Millisecond)},
		{client.WithMaxElapsed(0)},
		{client.WithIdempotencyHeader("")},
		{client.WithPaceKey(nil)},
		{client.WithRetryBudget(-1, 0)},
		{client.WithMaxBufferedBytes(-1)},
		{client.WithClock(nil)},
		{client.WithBaseURL("/relative")},
	}
	for i, opts := range bad {
		if _, err := client.New(opts...); err == nil {
			t.Errorf("case %d: New accepted a bad option", i)
		}
	}
	if _, err := client.NewTransport(nil, client.WithBaseURL("http://x")); err == nil {
		t.Error("NewTransport accepted WithBaseURL")
	}
}

// TestStatusRules: which answers are retried, per method and key.
func TestStatusRules(t *testing.T) {
	tests := []struct {
		status int
		method string
		keys   bool
		retry  bool
	}{
		{408, "GET", false, true}, {408, "POST", false, false}, {408, "POST", true, true},
		{429, "POST", false, true}, {503, "PATCH", false, true},
		{500, "DELETE", false, true}, {502, "PUT", false, true}, {504, "POST", false, false}, {504, "PATCH", true, true},
		{501, "GET", false, false}, // not a retryable problem
		{400, "GET", true, false}, {401, "GET", true, false}, {404, "GET", true, false}, {409, "POST", true, false}, {422, "POST", true, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %s keys=%t", tc.status, tc.method, tc.keys), func(t *testing.T) {
			srv := script(t, status(tc.status, ""), status(200, ""))
			_, err := send(t, newTransport(t, newFakeClock(), client.WithIdempotencyKeys(tc.keys)), tc.method, srv.URL, "x")
			if got := len(srv.requests()) == 2; err != nil || got != tc.retry {
				t.Fatalf("retried %t (err %v); want %t", got, err, tc.retry)
			}
		})
	}
}

// TestRequestNotModified: the caller's request keeps its header; the
// added ones travel on a copy.
func TestRequestNotModified(t *testing.T) {
	srv := script(t, status(200, ""))
	tr := newTransport(t, newFakeClock(), client.WithHeader("Authorization", "Bearer acme"))
	req, _ := http.NewRequest("POST", srv.URL, strings.NewReader("x"))
	req.Header.Set("X-Mine", "1")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := srv.requests()[0].header
	if got.Get("Authorization") != "Bearer acme" || got.Get("Idempotency-Key") == "" || got.Get("X-Mine") != "1" {
		t.Fatalf("server got %v", got)
	}
	if len(req.Header) != 1 || req.Header.Get("X-Mine") != "1" {
		t.Fatalf("caller's header changed: %v", req.Header)
	}
}
