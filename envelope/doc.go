// Package envelope writes every response of an API in one wire format
// (a [Dialect]) from one set of handler code, and reads them back on the
// client side.
//
// A [Writer] is configured once per API with its dialect, a clock, a
// request-ID generator, a logger and a [problem.Catalog]:
//
//	wr := envelope.New(envelope.Standard(),
//		envelope.WithCatalog(problem.MustNewCatalog("https://parchment.health/errors/")))
//
//	mux.HandleFunc("POST /patients", func(w http.ResponseWriter, r *http.Request) {
//		in, err := envelope.Decode[CreatePatient](r)
//		if err != nil {
//			wr.WriteError(w, r, err) // 400, 413, 415 or 422 with field errors
//			return
//		}
//		p, err := store.Create(r.Context(), in)
//		if err != nil {
//			wr.WriteError(w, r, err) // any Go error; 5xx never show its text
//			return
//		}
//		wr.Created(w, r, "/patients/"+p.ID, p, envelope.Message("Patient created successfully"))
//	})
//	http.ListenAndServe(":8080", wr.RequestID(wr.Recover(mux)))
//
// The dialects reproduce the partner APIs apikit was built from, byte for
// byte: [Standard] (success/statusCode/message/data/timestamp/requestId
// with a pagination object), [Meta] (data + meta{version,requestId,
// timestamp}, errors as error{code,message,details}), [Ack] (the request's
// requestID echoed with metadata{referenceID,responseType,responseID,
// responseTimestamp}), [Records] (lists as records/has_more/first_id/
// last_id) and [Plain] (bare resources, RFC 9457 errors). Implement
// [Dialect] to add another.
//
// Every body is encoded into a pooled buffer before the status line is
// written, so Content-Length is always set and an encoding failure becomes
// the dialect's 500 (logged) instead of a broken 200. HEAD requests and the
// statuses 204 and 304 get no body. Lists are always JSON arrays, never
// null.
//
// [Writer.RequestID] accepts a safe inbound X-Request-Id or makes one
// (req_<unix-ms>_<random> or a ULID), echoes it and puts it in the context;
// [Writer.Recover] turns panics into the dialect's 500. *Writer is a
// [problem.ErrorWriter], so apikit's middleware answers in the same
// dialect. On the client side, [Read] decodes a success of any dialect into
// a typed value and its [Info], or returns the *problem.Problem.
package envelope
