package idempotency_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/apikit-go/apikit/idempotency"
)

// A retried POST runs once: the retry gets the first answer back.
func Example() {
	store, err := idempotency.NewMemoryStore()
	if err != nil {
		panic(err)
	}
	defer store.Close()
	m, err := idempotency.New(store)
	if err != nil {
		panic(err)
	}
	orders := 0
	api := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orders++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "order %d\n", orders)
	}))

	post := func(key, body string) {
		req := httptest.NewRequest("POST", "/orders", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer partner-1") // records are kept per caller
		req.Header.Set("Idempotency-Key", key)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		fmt.Printf("%d replayed=%q %s", rec.Code, rec.Header().Get("Idempotent-Replayed"), rec.Body.String())
	}
	post("k1", `{"item":"pen"}`)
	post("k1", `{"item":"pen"}`) // a retry: replayed
	post("k1", `{"item":"ink"}`) // the same key for another request: 422
	fmt.Println("\nhandler ran", orders, "time(s)")
	// Output:
	// 201 replayed="" order 1
	// 201 replayed="true" order 1
	// 422 replayed="" {"type":"about:blank","title":"Idempotency key reused","status":422,"detail":"This Idempotency-Key was already used with a different request (method, path, query or body)","code":"idempotency/mismatch"}
	// handler ran 1 time(s)
}
