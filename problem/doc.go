// Package problem represents API errors as RFC 9457 problem details with a
// stable machine code of the form class/reason ("validation/required",
// "auth/invalid-signature", "referrals/unknown-patient").
//
// Define each kind of error once, as an immutable [Definition], and make
// occurrences of it in handlers:
//
//	package main
//
//	import (
//		"log"
//		"net/http"
//
//		"github.com/apikit-go/apikit/problem"
//	)
//
//	// Define each kind of error once; codes are class/reason.
//	var UnknownAccount = problem.MustDefine("billing/unknown-account", 422, "Unknown account")
//
//	func main() {
//		http.HandleFunc("POST /invoices", func(w http.ResponseWriter, r *http.Request) {
//			err := UnknownAccount.Newf("Account %q does not exist", r.FormValue("account")).WithInstance(r.URL.Path)
//			problem.Write(w, r, err) // in the API's dialect behind envelope's Handler, else application/problem+json
//		})
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
//	}
//
// Any Go error becomes a problem with [From]: problems and definitions in
// the error chain keep their identity, context.DeadlineExceeded becomes a
// 504, *http.MaxBytesError a 413, and anything else a 500 whose detail never
// shows the error's text. errors.Is matches problems by code, also on a
// problem read back from a response with [Parse], whatever wire format
// (dialect) the server used.
//
// The standard catalog ([InvalidRequest] … [ServiceUnavailable]) holds the
// error types partner APIs share. A [Catalog] adds your own definitions
// (rejecting duplicate codes), maps sentinel errors to definitions, and
// resolves relative type slugs against a base URI.
//
// One way to do each thing:
//
//   - Writing: [ErrorWriter] is the interface; [Writer] writes plain RFC
//     9457 and *envelope.Writer the API's dialect. [WriteTo] (middleware,
//     with an optional explicit writer) and [Write] (handlers) use the
//     writer the envelope middleware put in the request context and fall
//     back to [Writer].
//   - Mapping errors: [Catalog.From] (what every writer calls) is [From]
//     plus the catalog's sentinel mappings.
//   - Reading: [Parse] reads any dialect's error response ([Catalog.Parse]
//     with the catalog's definitions; envelope.Read returns Parse's problem).
//   - Type URIs: [Catalog.ResolveType].
//   - Retry-After: [Problem.RetryAfterSeconds]; all headers a problem
//     carries are set by [SetHeaders].
//
// Extension members are lowerCamelCase ("retryAfter", "requestId"), except
// names fixed by a registry or a specification, which keep their spelling
// ("violated-policies" of the IANA HTTP Problem Types registry).
//
// Clients see a bounded echo: every writer cuts the detail, the instance
// and field names and messages (1 KiB, 512 bytes, 256 bytes) so an
// oversized id in a request is never sent back whole.
package problem
