// Package routertest is the contract the router examples (examples/chi,
// examples/echo, examples/gin) all meet, so that each is checked by the
// same assertions: a success envelope, a replayed POST, the API's and the
// router's 404 and the router's 405 with Allow in the dialect, a second
// list page through the cursor, and a 429 with Retry-After that another
// caller does not share.
package routertest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

// NewAPI builds an example's orders API with the given rate limit per
// caller; the func it returns releases what the API holds.
type NewAPI func(rate ratelimit.Policy) (http.Handler, func(), error)

// Run checks the API that newAPI builds against the contract.
func Run(t *testing.T, newAPI NewAPI) {
	t.Run("orders", func(t *testing.T) { checkOrders(t, newAPI) })
	t.Run("rate limit", func(t *testing.T) { checkRateLimit(t, newAPI) })
}

// order is an order as the examples write it.
type order struct {
	ID       string `json:"id"`
	Item     string `json:"item"`
	Quantity int    `json:"quantity"`
}

// answer is the standard dialect's envelope, success or error.
type answer struct {
	Success    bool            `json:"success"`
	StatusCode int             `json:"statusCode"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
	RequestID  string          `json:"requestId"`
	Pagination *struct {
		Count   int     `json:"count"`
		HasNext bool    `json:"hasNext"`
		LastKey *string `json:"lastKey"`
	} `json:"pagination"`
	Error *struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	} `json:"error"`
}

func call(t *testing.T, srv *httptest.Server, method, path, body string, header ...string) (*http.Response, answer) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer alice")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%s %s: %d %q is not the standard envelope: %v", method, path, resp.StatusCode, raw, err)
	}
	// A replay carries the first request's id in its body and this one's in
	// X-Request-Id.
	replayed := resp.Header.Get("Idempotent-Replayed") == "true"
	if a.StatusCode != resp.StatusCode || a.RequestID == "" || resp.Header.Get("X-Request-Id") == "" ||
		(!replayed && a.RequestID != resp.Header.Get("X-Request-Id")) {
		t.Fatalf("%s %s: status %d, X-Request-Id %q, envelope %s", method, path, resp.StatusCode, resp.Header.Get("X-Request-Id"), raw)
	}
	return resp, a
}

func newServer(t *testing.T, newAPI NewAPI, rate ratelimit.Policy) *httptest.Server {
	t.Helper()
	api, closeAPI, err := newAPI(rate)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(func() { srv.Close(); closeAPI() })
	return srv
}

func checkOrders(t *testing.T, newAPI NewAPI) {
	srv := newServer(t, newAPI, ratelimit.PerMinute(1000))

	// Create: a success envelope with the order.
	resp, a := call(t, srv, "POST", "/orders", `{"item":"pen","quantity":2}`, "Idempotency-Key", "key-1")
	var created order
	if err := json.Unmarshal(a.Data, &created); err != nil || resp.StatusCode != 201 || !a.Success ||
		a.Message != "Order created" || created.Item != "pen" || resp.Header.Get("Location") != "/orders/"+created.ID {
		t.Fatalf("create: %d %+v %s %v", resp.StatusCode, a, a.Data, err)
	}

	// The same POST again is replayed, not run again.
	resp, a = call(t, srv, "POST", "/orders", `{"item":"pen","quantity":2}`, "Idempotency-Key", "key-1")
	var replayed order
	if err := json.Unmarshal(a.Data, &replayed); err != nil || resp.StatusCode != 201 ||
		resp.Header.Get("Idempotent-Replayed") != "true" || replayed != created {
		t.Fatalf("replay: %d Idempotent-Replayed=%q %s", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), a.Data)
	}

	// Get: the same order.
	resp, a = call(t, srv, "GET", "/orders/"+created.ID, "")
	var got order
	if err := json.Unmarshal(a.Data, &got); err != nil || resp.StatusCode != 200 || !a.Success || got != created {
		t.Fatalf("get: %d %s", resp.StatusCode, a.Data)
	}

	// 404s in the dialect: the API's own problem, and the router's.
	for path, title := range map[string]string{"/orders/ord_999999": "Order not found", "/nowhere": "Resource not found"} {
		resp, a = call(t, srv, "GET", path, "")
		if resp.StatusCode != 404 || a.Success || a.Error == nil || a.Error.Title != title {
			t.Errorf("GET %s: %d %+v", path, resp.StatusCode, a.Error)
		}
	}
	// The router's 405, in the dialect, with Allow.
	resp, a = call(t, srv, "DELETE", "/orders", "")
	if resp.StatusCode != 405 || a.Success || !strings.Contains(resp.Header.Get("Allow"), "POST") {
		t.Errorf("DELETE /orders: %d Allow=%q %+v", resp.StatusCode, resp.Header.Get("Allow"), a.Error)
	}

	// List: two more orders, then two pages of two and one.
	for _, key := range []string{"key-2", "key-3"} {
		if resp, _ := call(t, srv, "POST", "/orders", `{"item":"ink","quantity":1}`, "Idempotency-Key", key); resp.StatusCode != 201 {
			t.Fatalf("create %s: %d", key, resp.StatusCode)
		}
	}
	var ids []string
	path := "/orders?limit=2"
	for page := 1; ; page++ {
		resp, a = call(t, srv, "GET", path, "")
		var orders []order
		if err := json.Unmarshal(a.Data, &orders); err != nil || resp.StatusCode != 200 || a.Pagination == nil {
			t.Fatalf("list page %d: %d %+v", page, resp.StatusCode, a)
		}
		for _, o := range orders {
			ids = append(ids, o.ID)
		}
		if !a.Pagination.HasNext {
			break
		}
		if page > 3 || a.Pagination.LastKey == nil {
			t.Fatalf("list page %d: %+v", page, a.Pagination)
		}
		path = "/orders?limit=2&lastKey=" + url.QueryEscape(*a.Pagination.LastKey)
	}
	if want := "ord_000001 ord_000002 ord_000003"; strings.Join(ids, " ") != want {
		t.Errorf("listed %v, want %s", ids, want)
	}
}

func checkRateLimit(t *testing.T, newAPI NewAPI) {
	srv := newServer(t, newAPI, ratelimit.PerMinute(2))
	for i := range 2 {
		if resp, _ := call(t, srv, "GET", "/orders", ""); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, a := call(t, srv, "GET", "/orders", "")
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != 429 || a.Success || a.Error == nil || err != nil || retry < 1 {
		t.Fatalf("third request: %d Retry-After=%q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), a.Error)
	}
	// Another caller has its own limit.
	if resp, _ := call(t, srv, "GET", "/orders", "", "Authorization", "Bearer bob"); resp.StatusCode != 200 {
		t.Fatalf("another caller: %d", resp.StatusCode)
	}
}
