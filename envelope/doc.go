// Package envelope writes every response of an API in one wire format
// (a [Dialect]) from one set of handler code, and reads them back on the
// client side.
//
// A [Writer] is configured once per API with its dialect and options (a
// clock, a request-ID generator, a logger, a [problem.Catalog]); its
// [Writer.Handler] wraps the whole API:
//
//	package main
//
//	import (
//		"log"
//		"net/http"
//
//		"github.com/apikit-go/apikit/envelope"
//		"github.com/apikit-go/apikit/problem"
//	)
//
//	type Order struct {
//		ID   string `json:"id"`
//		Item string `json:"item"`
//	}
//
//	var OrderNotFound = problem.MustDefine("orders/not-found", 404, "Order not found")
//
//	func main() {
//		wr := envelope.New(envelope.Standard()) // or Meta("2025-01-01"), Ack(), Records(), Plain()
//
//		mux := http.NewServeMux()
//		mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
//			in, err := envelope.Decode[Order](r) // 400, 413, 415 or 422 naming the field
//			if err != nil {
//				wr.WriteError(w, r, err)
//				return
//			}
//			wr.Created(w, r, "/orders/"+in.ID, in, envelope.WithMessage("Order created"))
//		})
//		mux.Handle("GET /orders/{id}", envelope.Handle(wr, func(r *http.Request) (Order, error) {
//			if id := r.PathValue("id"); id != "ord_1" {
//				return Order{}, OrderNotFound.Newf("No order has the id %q", id) // any error: the dialect's error body
//			}
//			return Order{ID: "ord_1", Item: "pen"}, nil // {"success":true,"statusCode":200,…,"data":{…}}
//		}))
//		// Request IDs, the writer in every request's context, panics as 500s,
//		// unknown routes (404) and wrong methods (405) in the dialect.
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", wr.Handler(mux)))
//	}
//
// Handler is the one middleware that cannot be forgotten: it gives every
// request its ID (a safe inbound X-Request-Id, else req_<unix-ms>_<random>
// or a ULID), puts the writer in the request context so that every apikit
// middleware and [problem.Write] answer errors in the API's dialect,
// turns panics into the dialect's 500, and answers ServeMux's unknown
// routes (404) and wrong methods (405 with Allow) in the dialect
// ([Writer.Routes] does the last where other middleware sits between).
//
// The dialects reproduce the partner APIs apikit was built from, byte for
// byte: [Standard] (success/statusCode/message/data/timestamp/requestId
// with a pagination object), [Meta] (data + meta{version,requestId,
// timestamp}, errors as error{code,message,details}), [Ack] (the request's
// requestID echoed with metadata{referenceID,responseType,responseID,
// responseTimestamp}), [Records] (lists as records/has_more/first_id/
// last_id) and [Plain] (bare resources, RFC 9457 errors). Each dialect
// renders one list style; a page of the other style is refused loudly
// (a logged 500) rather than paging wrongly. To add a dialect, implement
// [Dialect]; [Reply] holds everything a dialect author needs, and nothing
// else in the package is for dialect authors.
//
// Every body is encoded into a pooled buffer before the status line is
// written, so Content-Length is always set and an encoding failure becomes
// the dialect's 500 (logged) instead of a broken 200. HEAD requests and the
// statuses 204 and 304 get no body. Lists are always JSON arrays, never
// null. Strings are not HTML-escaped. On the client side, [Read] decodes a
// success of any dialect into a typed value and its [Info], or returns the
// *problem.Problem of [problem.Parse].
package envelope
