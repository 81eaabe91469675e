// Command gin is a small orders API on gin that speaks apikit's standard
// dialect: every answer, from the handlers, from gin's own 404 and 405 and
// from apikit's middleware, is one envelope.
//
//	go run . -addr 127.0.0.1:8080
//	curl -i -X POST localhost:8080/orders -H 'Authorization: Bearer alice' \
//	     -H 'Idempotency-Key: k1' -d '{"item":"pen","quantity":2}'
//	curl -i 'localhost:8080/orders?limit=2' -H 'Authorization: Bearer alice'
//
// A gin.Engine is an http.Handler, so the middleware for every request wraps
// the engine: wr.Handler(limiter.Handler(engine)). The engine is built with
// gin.New (no gin.Recovery: envelope's Handler turns panics into the
// dialect's 500). Middleware for one route wraps a net/http handler that
// gin.WrapH adapts: gin.WrapH(guard.Handler(create)). Other handlers are gin
// handlers writing through the envelope.Writer, and NoRoute and NoMethod
// answer gin's own 404 and 405 in the dialect.
package main

import (
	"crypto/rand"
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	gin.SetMode(gin.ReleaseMode)
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
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	engine.NoRoute(func(c *gin.Context) {
		wr.WriteError(c.Writer, c.Request, problem.ResourceNotFound.New("No resource exists at this path").WithInstance(c.Request.URL.Path))
	})
	engine.NoMethod(func(c *gin.Context) { // gin has set Allow
		wr.WriteError(c.Writer, c.Request, problem.MethodNotAllowed.New("The Allow header lists the methods this resource supports").
			WithInstance(c.Request.URL.Path).WithHeader("Allow", c.Writer.Header().Get("Allow")))
	})
	engine.POST("/orders", gin.WrapH(guard.Handler(http.HandlerFunc(h.create)))) // a retried POST runs once
	engine.GET("/orders", h.list)
	engine.GET("/orders/:id", h.get)

	// Request IDs, the dialect in the context, recovery; limits.
	return wr.Handler(limiter.Handler(engine)), closeAll, nil
}
