// Command chi is a small orders API on a chi router that speaks apikit's
// standard dialect: every answer, from the handlers, from the router's own
// 404 and 405 and from apikit's middleware, is one envelope.
//
//	go run . -addr 127.0.0.1:8080
//	curl -i -X POST localhost:8080/orders -H 'Authorization: Bearer alice' \
//	     -H 'Idempotency-Key: k1' -d '{"item":"pen","quantity":2}'
//	curl -i 'localhost:8080/orders?limit=2' -H 'Authorization: Bearer alice'
//
// chi's middleware and handlers are net/http's own types, so apikit needs no
// adapter: envelope's and ratelimit's Handler go to Use, idempotency's to With,
// and NotFound and MethodNotAllowed answer through problem.Write.
package main

import (
	"crypto/rand"
	"flag"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	api, closeAPI, err := newAPI(ratelimit.PerMinute(100))
	if err != nil {
		log.Fatal(err)
	}
	defer closeAPI()
	srv := &http.Server{Addr: *addr, Handler: api, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("orders API on http://%s", *addr)
	log.Fatal(srv.ListenAndServe())
}

// newAPI wires the API: the dialect, the stores and the routes. rate is
// each caller's limit. The returned func closes the stores.
func newAPI(rate ratelimit.Policy) (http.Handler, func(), error) {
	wr := envelope.New(envelope.Standard())

	// Cursors are signed; a real service loads its secret from its
	// configuration so cursors outlive a restart.
	secret := make([]byte, 32)
	rand.Read(secret)
	keys, err := pagination.NewKeyring(pagination.Key{ID: "k1", Secret: secret})
	if err != nil {
		return nil, nil, err
	}
	pager, err := pagination.New(keys, pagination.WithLimits(10, 100))
	if err != nil {
		return nil, nil, err
	}
	idemStore, err := idempotency.NewMemoryStore()
	if err != nil {
		return nil, nil, err
	}
	guard, err := idempotency.New(idemStore)
	if err != nil {
		idemStore.Close()
		return nil, nil, err
	}
	rateStore, err := ratelimit.NewMemoryStore()
	if err != nil {
		idemStore.Close()
		return nil, nil, err
	}
	limiter, err := ratelimit.New(rateStore, []ratelimit.Policy{rate},
		// One bucket per caller; authenticate before trusting this header.
		ratelimit.WithKey(func(r *http.Request) string { return r.Header.Get("Authorization") }))
	if err != nil {
		idemStore.Close()
		rateStore.Close()
		return nil, nil, err
	}
	closeAll := func() { idemStore.Close(); rateStore.Close() }

	h := &handlers{wr: wr, pager: pager, orders: &orderStore{}}
	r := chi.NewRouter()
	r.Use(wr.Handler, limiter.Handler) // request IDs, the dialect in the context, recovery; limits
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		problem.Write(w, req, problem.ResourceNotFound.New("No resource exists at this path").WithInstance(req.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if r.Match(chi.NewRouteContext(), m, req.URL.Path) {
				allow = append(allow, m)
			}
		}
		problem.Write(w, req, problem.MethodNotAllowed.New("The Allow header lists the methods this resource supports").
			WithInstance(req.URL.Path).WithHeader("Allow", strings.Join(allow, ", ")))
	})
	r.With(guard.Handler).Post("/orders", h.create) // a retried POST runs once
	r.Get("/orders", h.list)
	r.Get("/orders/{id}", h.get)
	return r, closeAll, nil
}
