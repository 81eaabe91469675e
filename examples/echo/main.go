// Command echo is a small orders API on echo that speaks apikit's standard
// dialect: every answer, from the handlers, from echo's own 404 and 405 and
// from apikit's middleware, is one envelope.
//
//	go run . -addr 127.0.0.1:8080
//	curl -i -X POST localhost:8080/orders -H 'Authorization: Bearer alice' \
//	     -H 'Idempotency-Key: k1' -d '{"item":"pen","quantity":2}'
//	curl -i 'localhost:8080/orders?limit=2' -H 'Authorization: Bearer alice'
//
// apikit's middleware is net/http middleware; echo.WrapMiddleware turns each
// into an echo.MiddlewareFunc (it passes the request and the response writer
// on, so idempotency sees and stores the handler's answer). Handlers are echo
// handlers that write through the envelope.Writer; errors echo itself makes
// (no route, wrong method) reach the HTTPErrorHandler, which writes them in
// the dialect.
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

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
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(wr)
	// Request IDs, the dialect in the context, recovery; limits.
	e.Use(echo.WrapMiddleware(wr.Handler), echo.WrapMiddleware(limiter.Handler))
	e.POST("/orders", h.create, echo.WrapMiddleware(guard.Handler)) // a retried POST runs once
	e.GET("/orders", h.list)
	e.GET("/orders/:id", h.get)
	return e, closeAll, nil
}

// errorHandler writes every error a handler returns, and echo's own, in the
// writer's dialect: echo's 404 and 405 become problem.ResourceNotFound and
// problem.MethodNotAllowed (with echo's Allow header); any other error goes
// to the writer as it is (a *problem.Problem keeps its status; anything else
// is a 500 that does not show the error's text).
func errorHandler(wr *envelope.Writer) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		r := c.Request()
		var he *echo.HTTPError
		if errors.As(err, &he) {
			switch he.Code {
			case http.StatusNotFound:
				err = problem.ResourceNotFound.New("No resource exists at this path").WithInstance(r.URL.Path)
			case http.StatusMethodNotAllowed:
				err = problem.MethodNotAllowed.New("The Allow header lists the methods this resource supports").
					WithInstance(r.URL.Path).WithHeader("Allow", c.Response().Header().Get(echo.HeaderAllow))
			}
		}
		wr.WriteError(c.Response(), r, err)
	}
}
