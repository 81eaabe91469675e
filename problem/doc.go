// Package problem represents API errors as RFC 9457 problem details with a
// stable machine code of the form class/reason ("validation/required",
// "auth/invalid-signature", "referrals/unknown-patient").
//
// Define each kind of error once, as an immutable [Definition], and make
// occurrences of it in handlers:
//
//	var UnknownPatient = problem.MustDefine("referrals/unknown-patient", 422, "Unknown patient")
//
//	func handler(w http.ResponseWriter, r *http.Request) {
//		err := UnknownPatient.Newf("Patient %q does not exist", id).WithInstance(r.URL.Path)
//		problem.Write(w, r, err) // application/problem+json
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
// Middleware in apikit writes errors through an [ErrorWriter]; [Writer] is
// the plain RFC 9457 one, and *envelope.Writer renders the other dialects.
package problem
