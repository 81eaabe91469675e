// Package envelope writes every response of an API in one wire format
// (a [Dialect]) from one set of handler code, and reads them back on the
// client side.
//
// A [Writer] is configured once per API with its dialect and options (a
// clock, a request-ID generator, a logger, a [problem.Catalog]); its
// [Writer.Handler] wraps the whole API:
//
//	catalog, err := problem.NewCatalog("https://api.example.com/errors/")
//	…
//	wr := envelope.New(envelope.Standard(), envelope.WithCatalog(catalog))
//
//	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
//		in, err := envelope.Decode[CreateOrder](r)
//		if err != nil {
//			wr.WriteError(w, r, err) // 400, 413, 415 or 422 with field errors
//			return
//		}
//		o, err := store.Create(r.Context(), in)
//		if err != nil {
//			wr.WriteError(w, r, err) // any Go error; 5xx never show its text
//			return
//		}
//		wr.Created(w, r, "/orders/"+o.ID, o, envelope.WithMessage("Order created"))
//	})
//	http.ListenAndServe(":8080", wr.Handler(mux))
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
