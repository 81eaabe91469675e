package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/apikit-go/apikit/client"
	"github.com/apikit-go/apikit/problem"
)

// server answers request i with statuses[i] (the last repeats), setting
// the header pairs on every answer, and prints each request it gets.
func server(statuses []int, header ...string) *httptest.Server {
	var mu sync.Mutex
	n := 0
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		code := statuses[min(n, len(statuses)-1)]
		n++
		mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		fmt.Printf("server: %s %s key=%t auth=%q body=%q -> %d\n", r.Method, r.URL.Path,
			r.Header.Get("Idempotency-Key") != "", r.Header.Get("Authorization"), body, code)
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code < 400 {
			fmt.Fprintf(w, `{"success":true,"statusCode":%d,"message":"Success","data":{"patient_id":"pat_1"},"requestId":"req_%d"}`, code, n)
		} else {
			fmt.Fprintf(w, `{"success":false,"statusCode":%d,"error":{"type":"https://example.com/errors/internal-error","title":"Error"},"requestId":"req_%d"}`, code, n)
		}
	}))
}

// noWait is a sleep that returns at once, so the examples run fast.
func noWait(ctx context.Context, d time.Duration) error { return ctx.Err() }

func get(c *client.Client, url string) {
	r, err := client.Call[patient](context.Background(), c, "GET", url, nil)
	fmt.Println("client:", r.Status, r.Attempts, "attempts", err != nil)
}

func Example() {
	srv := server([]int{503, 201})
	defer srv.Close()
	c, err := client.New(client.WithBaseURL(srv.URL), client.WithHeader("Authorization", "Bearer acme"))
	if err != nil {
		panic(err)
	}
	r, err := client.Call[patient](context.Background(), c, "POST", "/api/v1/patients", map[string]string{"family_name": "Smith"})
	fmt.Println(r.Data.PatientID, r.Status, r.RequestID, r.Attempts, err)
	// Output:
	// server: POST /api/v1/patients key=true auth="Bearer acme" body="{\"family_name\":\"Smith\"}" -> 503
	// server: POST /api/v1/patients key=true auth="Bearer acme" body="{\"family_name\":\"Smith\"}" -> 201
	// pat_1 201 req_2 2 <nil>
}

func ExampleNewTransport() {
	srv := server([]int{502, 200})
	defer srv.Close()
	t, err := client.NewTransport(http.DefaultTransport, client.WithSleep(noWait))
	if err != nil {
		panic(err)
	}
	hc := &http.Client{Transport: t} // or hand t to another SDK
	resp, err := hc.Get(srv.URL + "/healthz")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// server: GET /healthz key=false auth="" body="" -> 502
	// server: GET /healthz key=false auth="" body="" -> 200
	// 200
}

func ExampleCall() {
	srv := server([]int{500})
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithMaxAttempts(2), client.WithSleep(noWait))
	_, err := client.Call[patient](context.Background(), c, "GET", "/api/v1/patients/pat_1", nil)
	var p *problem.Problem
	if errors.As(err, &p) {
		fmt.Println(p.Status, p.Code, p.Extensions["requestId"], p.Extensions["attempts"], errors.Is(err, problem.InternalError))
	}
	// Output:
	// server: GET /api/v1/patients/pat_1 key=false auth="" body="" -> 500
	// server: GET /api/v1/patients/pat_1 key=false auth="" body="" -> 500
	// 500 internal/error req_2 2 true
}

func ExampleAll() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("starting_after") == "" {
			fmt.Fprint(w, `{"records":[{"patient_id":"p1"},{"patient_id":"p2"}],"has_more":true,"first_id":"p1","last_id":"p2"}`)
			return
		}
		fmt.Fprint(w, `{"records":[{"patient_id":"p3"}],"has_more":false,"first_id":"p3","last_id":"p3"}`)
	}))
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL))
	for p, err := range client.All[patient](context.Background(), c, "/v2/patients?limit=2", "starting_after") {
		if err != nil {
			panic(err)
		}
		fmt.Println(p.PatientID)
	}
	// Output:
	// p1
	// p2
	// p3
}

func ExampleClient_Do() {
	srv := server([]int{429, 200}, "Retry-After", "1")
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithSleep(noWait))
	req, _ := http.NewRequest("GET", "/api/v1/patients", nil)
	resp, err := c.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// server: GET /api/v1/patients key=false auth="" body="" -> 429
	// server: GET /api/v1/patients key=false auth="" body="" -> 200
	// 200
}

func ExampleClient_HTTPClient() {
	srv := server([]int{200})
	defer srv.Close()
	c, _ := client.New(client.WithHeader("Authorization", "Bearer acme"))
	resp, err := c.HTTPClient().Get(srv.URL + "/api/v1/patients") // e.g. for pagination.HTTPFetch
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	// Output:
	// server: GET /api/v1/patients key=false auth="Bearer acme" body="" -> 200
}

func ExampleWithTransport() {
	srv := server([]int{200})
	defer srv.Close()
	counting := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		fmt.Println("base transport:", r.Method, r.URL.Path)
		return http.DefaultTransport.RoundTrip(r)
	})
	c, _ := client.New(client.WithTransport(counting), client.WithBaseURL(srv.URL))
	get(c, "/x")
	// Output:
	// base transport: GET /x
	// server: GET /x key=false auth="" body="" -> 200
	// client: 200 1 attempts false
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func ExampleWithBaseURL() {
	srv := server([]int{200})
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL + "/api/v1/"))
	get(c, "patients/pat_1")
	// Output:
	// server: GET /api/v1/patients/pat_1 key=false auth="" body="" -> 200
	// client: 200 1 attempts false
}

func ExampleWithHeader() {
	srv := server([]int{200})
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithHeader("Authorization", "Bearer acme"))
	get(c, "/a")
	get(c, "/b")
	// Output:
	// server: GET /a key=false auth="Bearer acme" body="" -> 200
	// client: 200 1 attempts false
	// server: GET /b key=false auth="Bearer acme" body="" -> 200
	// client: 200 1 attempts false
}

func ExampleWithMaxAttempts() {
	srv := server([]int{503})
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithMaxAttempts(2), client.WithSleep(noWait))
	get(c, "/x")
	// Output:
	// server: GET /x key=false auth="" body="" -> 503
	// server: GET /x key=false auth="" body="" -> 503
	// client: 503 2 attempts true
}

func ExampleWithBackoff() {
	srv := server([]int{503, 503, 503, 200})
	defer srv.Close()
	var waits []time.Duration
	var mu sync.Mutex
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithBackoff(100*time.Millisecond, 150*time.Millisecond),
		client.WithObserver(func(a client.Attempt) { mu.Lock(); waits = append(waits, a.Wait); mu.Unlock() }),
		client.WithSleep(noWait))
	get(c, "/x")
	for i, w := range waits[:3] {
		fmt.Printf("wait %d under %v: %v\n", i+1, min(100*time.Millisecond<<i, 150*time.Millisecond), w < min(100*time.Millisecond<<i, 150*time.Millisecond))
	}
	// Output:
	// server: GET /x key=false auth="" body="" -> 503
	// server: GET /x key=false auth="" body="" -> 503
	// server: GET /x key=false auth="" body="" -> 503
	// server: GET /x key=false auth="" body="" -> 200
	// client: 200 4 attempts false
	// wait 1 under 100ms: true
	// wait 2 under 150ms: true
	// wait 3 under 150ms: true
}

func ExampleWithMaxElapsed() {
	srv := server([]int{503, 200}, "Retry-After", "30")
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithMaxElapsed(10*time.Second), client.WithSleep(noWait))
	get(c, "/x") // a 30s wait would end after 10s: the 503 is the answer
	// Output:
	// server: GET /x key=false auth="" body="" -> 503
	// client: 503 1 attempts true
}

func ExampleWithIdempotencyKeys() {
	srv := server([]int{500, 201})
	defer srv.Close()
	for _, on := range []bool{true, false} {
		c, _ := client.New(client.WithBaseURL(srv.URL), client.WithIdempotencyKeys(on), client.WithSleep(noWait))
		r, err := client.Call[patient](context.Background(), c, "POST", "/orders", nil)
		fmt.Println("client:", r.Status, r.Attempts, "attempts", err != nil)
	}
	// Output:
	// server: POST /orders key=true auth="" body="" -> 500
	// server: POST /orders key=true auth="" body="" -> 201
	// client: 201 2 attempts false
	// server: POST /orders key=false auth="" body="" -> 201
	// client: 201 1 attempts false
}

func ExampleWithIdempotencyHeader() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("X-Idempotency-Key set:", len(r.Header.Get("X-Idempotency-Key")) == 36)
	}))
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithIdempotencyHeader("X-Idempotency-Key"))
	_, _ = client.Call[any](context.Background(), c, "PATCH", "/orders/1", map[string]int{"qty": 2})
	// Output:
	// X-Idempotency-Key set: true
}

func ExampleWithPaceKey() {
	// Both tenants share one host, but each has its own quota.
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Println("server:", r.Header.Get("Authorization"))
		w.Header().Set("X-RateLimit-Limit", "1")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
	}))
	defer srv.Close()
	t, _ := client.NewTransport(nil, client.WithPaceKey(func(r *http.Request) string { return r.Header.Get("Authorization") }))
	hc := &http.Client{Transport: t}
	call := func(token string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		req.Header.Set("Authorization", token)
		resp, err := hc.Do(req)
		if err != nil {
			fmt.Println("client:", errors.Is(err, client.ErrQuotaExhausted))
			return
		}
		resp.Body.Close()
	}
	call("Bearer a")
	call("Bearer b") // another key: not held
	call("Bearer a") // quota 0 until after the deadline: not sent
	// Output:
	// server: Bearer a
	// server: Bearer b
	// client: true
}

func ExampleWithRetryBudget() {
	srv := server([]int{503})
	defer srv.Close()
	// No share, a floor of 1: one retry in the window, then none.
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithRetryBudget(0, 1), client.WithSleep(noWait))
	get(c, "/a")
	get(c, "/b")
	// Output:
	// server: GET /a key=false auth="" body="" -> 503
	// server: GET /a key=false auth="" body="" -> 503
	// client: 503 2 attempts true
	// server: GET /b key=false auth="" body="" -> 503
	// client: 503 1 attempts true
}

func ExampleWithMaxBufferedBytes() {
	srv := server([]int{503, 200})
	defer srv.Close()
	t, _ := client.NewTransport(nil, client.WithMaxBufferedBytes(4), client.WithSleep(noWait))
	req, _ := http.NewRequest("PUT", srv.URL+"/big", nil)
	req.Body = io.NopCloser(strings.NewReader("12345")) // no GetBody, larger than 4 bytes
	resp, err := t.RoundTrip(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// server: PUT /big key=false auth="" body="12345" -> 503
	// 503
}

func ExampleWithLogger() {
	srv := server([]int{200}, "X-Request-Id", "req_1")
	defer srv.Close()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithLogger(logger))
	get(c, "/x")
	// Output:
	// server: GET /x key=false auth="" body="" -> 200
	// level=DEBUG msg="client: attempt" method=GET path=/x attempt=1 status=200 wait=0s request_id=req_1
	// client: 200 1 attempts false
}

func ExampleWithObserver() {
	srv := server([]int{503, 200}, "Retry-After", "2")
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithSleep(noWait),
		client.WithObserver(func(a client.Attempt) {
			fmt.Println("observer:", a.Method, a.URL.Path, a.N, a.Status, a.Retry, a.Wait)
		}))
	get(c, "/x")
	// Output:
	// server: GET /x key=false auth="" body="" -> 503
	// observer: GET /x 1 503 true 2s
	// server: GET /x key=false auth="" body="" -> 200
	// observer: GET /x 2 200 false 0s
	// client: 200 2 attempts false
}

func ExampleWithClock() {
	// A server that asks to come back at a date: the wait is measured on
	// the client's clock.
	now := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	srv := server([]int{503, 200}, "Retry-After", now.Add(45*time.Second).Format(http.TimeFormat))
	defer srv.Close()
	c, _ := client.New(client.WithBaseURL(srv.URL), client.WithClock(func() time.Time { return now }),
		client.WithSleep(func(ctx context.Context, d time.Duration) error {
			fmt.Println("sleep", d)
			return nil
		}))
	get(c, "/x")
	// Output:
	// server: GET /x key=false auth="" body="" -> 503
	// sleep 45s
	// server: GET /x key=false auth="" body="" -> 200
	// client: 200 2 attempts false
}

func ExampleWithSleep() {
	srv := server([]int{429, 200}, "Retry-After", "7")
	defer srv.Close()
	// A fake clock that the sleep moves forward, as tests use.
	var mu sync.Mutex
	now := time.Now()
	c, _ := client.New(client.WithBaseURL(srv.URL),
		client.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }),
		client.WithSleep(func(ctx context.Context, d time.Duration) error {
			fmt.Println("sleep", d)
			mu.Lock()
			now = now.Add(d)
			mu.Unlock()
			return ctx.Err()
		}))
	get(c, "/x")
	// Output:
	// server: GET /x key=false auth="" body="" -> 429
	// sleep 7s
	// server: GET /x key=false auth="" body="" -> 200
	// client: 200 2 attempts false
}
