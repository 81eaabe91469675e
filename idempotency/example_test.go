package idempotency_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/problem"
)

func ExampleNew() {
	store, err := idempotency.NewMemoryStore()
	if err != nil {
		panic(err)
	}
	defer store.Close()
	m, err := idempotency.New(store, idempotency.WithRequireKey())
	if err != nil {
		panic(err)
	}

	orders := 0
	create := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orders++
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Location", fmt.Sprintf("/orders/%d", orders))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%d}`, orders)
	})
	h := m.Handler(create)

	send := func(key, body string) {
		r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
		if key != "" {
			r.Header.Set("Idempotency-Key", key)
		}
		r.Header.Set("Authorization", "Bearer partner-1") // records are kept per caller
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Location"), w.Header().Get("Idempotent-Replayed"), w.Body.String())
	}
	send("order-42", `{"sku":"a"}`) // runs
	send("order-42", `{"sku":"a"}`) // replayed
	send("order-42", `{"sku":"b"}`) // same key, other request: 422
	send("", `{"sku":"a"}`)         // key required: 400
	fmt.Println("orders created:", orders)
	// Output:
	// 201 /orders/1  {"id":1}
	// 201 /orders/1 true {"id":1}
	// 422   {"type":"about:blank","title":"Idempotency key reused","status":422,"detail":"This Idempotency-Key was already used with a different request (method, path, query or body)","code":"idempotency/mismatch"}
	// 400   {"type":"about:blank","title":"Idempotency key required","status":400,"detail":"The Idempotency-Key header is required for POST requests","code":"idempotency/missing-key"}
	// orders created: 1
}

func ExampleNewMemoryStore() {
	store, err := idempotency.NewMemoryStore(idempotency.WithMaxBytes(256 << 20))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()

	c, _ := store.Claim(ctx, "key", "fingerprint", "owner-1", 10*time.Second)
	fmt.Println(c.Outcome)
	c, _ = store.Claim(ctx, "key", "fingerprint", "owner-2", 10*time.Second)
	fmt.Println(c.Outcome)
	_ = store.Complete(ctx, "key", "owner-1", []byte("response"), 24*time.Hour)
	c, _ = store.Claim(ctx, "key", "fingerprint", "owner-3", 10*time.Second)
	fmt.Println(c.Outcome, string(c.Response))
	c, _ = store.Claim(ctx, "key", "other request", "owner-4", 10*time.Second)
	fmt.Println(c.Outcome)
	// Output:
	// acquired
	// in-progress
	// completed response
	// mismatch
}

func ExampleValidateUUIDv4() {
	for _, key := range []string{"3f1c2a9e-5b7d-4c1e-9a2b-8d6f0e4c3b21", "ref_12345"} {
		fmt.Println(key, idempotency.ValidateUUIDv4(key) == nil)
	}
	// Output:
	// 3f1c2a9e-5b7d-4c1e-9a2b-8d6f0e4c3b21 true
	// ref_12345 false
}

func ExampleWithObserver() {
	store := newMemoryStore()
	defer store.Close()
	obs := func(e idempotency.Event) {
		if e.Duration > 0 { // a store call
			fmt.Println("store:", e.Kind, e.Err == nil)
			return
		}
		fmt.Println("event:", e.Kind)
	}
	h := mustNew(store, idempotency.WithObserver(obs))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	for range 2 {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Idempotency-Key", "k")
		r.Header.Set("Authorization", "Bearer partner-1")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// store: claim true
	// event: acquired
	// store: complete true
	// event: stored
	// store: claim true
	// event: replayed
}

func ExampleDefaultScope() {
	r := httptest.NewRequest(http.MethodPost, "/orders", nil)
	fmt.Printf("%q\n", idempotency.DefaultScope(r)) // no credentials: unknown

	r.Header.Set("Authorization", "Bearer partner-1")
	scope := idempotency.DefaultScope(r)
	fmt.Println(scope[:len("cred:")], len(scope))
	// Output:
	// ""
	// cred: 69
}

func ExampleWithScope() {
	store := newMemoryStore()
	defer store.Close()
	// Scope keys by the authenticated tenant, here read from a header an
	// authenticating proxy sets.
	// A request without one ("") is not run when it carries a key.
	mw := mustNew(store, idempotency.WithScope(func(r *http.Request) string {
		return r.Header.Get("X-Tenant-Id")
	}))
	n := 0
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		fmt.Fprint(w, "run ", n)
	}))
	for _, tenant := range []string{"t1", "t2", "t1"} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Idempotency-Key", "k")
		r.Header.Set("X-Tenant-Id", tenant)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(tenant, w.Body.String())
	}
	// Output:
	// t1 run 1
	// t2 run 2
	// t1 run 1
}

// One Middleware wraps any number of handlers. Given no error writer, it
// answers in the dialect of the envelope middleware around it.
func ExampleMiddleware_Handler() {
	store, err := idempotency.NewMemoryStore()
	if err != nil {
		panic(err)
	}
	defer store.Close()
	m, err := idempotency.New(store, idempotency.WithRequireKey())
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /orders", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	api := envelope.New(envelope.Meta("2025-01-01")).Handler(mux)

	r := httptest.NewRequest(http.MethodPost, "/orders", nil)
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 400 {"error":{"code":"idempotency/missing-key","message":"The Idempotency-Key header is required for POST requests","details":{}}}
}

func ExampleDefinitions() {
	catalog, _ := problem.NewCatalog("https://api.example.com/problems/")
	if err := catalog.Register(idempotency.Definitions()...); err != nil {
		fmt.Println(err)
	}
	d, _ := catalog.Lookup("idempotency/mismatch")
	fmt.Println(d.Status(), catalog.ResolveType(d.Type()))
	// Output:
	// 422 https://api.example.com/problems/idempotency-mismatch
}
