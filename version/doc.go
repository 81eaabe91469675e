// Package version lets partners see and plan for the evolution of an API:
// date versions negotiated per request, and routes that are deprecated,
// browned out and finally sunset with the IETF header fields.
//
// A [Negotiator] chooses each request's version: the API-Version request
// header, else the version the caller is pinned to, else the server's
// default. An unknown or malformed version is a 400 [ErrUnknown] that lists
// the supported ones. The choice is echoed in the response and kept in the
// request context, where handlers test it ([FromContext]) and the
// envelope's meta dialect reads it ([Of]):
//
//	package main
//
//	import (
//		"log"
//		"net/http"
//		"time"
//
//		"github.com/apikit-go/apikit/envelope"
//		"github.com/apikit-go/apikit/version"
//	)
//
//	type Referral struct {
//		ID     string `json:"id"`
//		Status string `json:"status"`
//	}
//
//	func main() {
//		neg, err := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"}) // default: the oldest
//		if err != nil {
//			log.Fatal(err)
//		}
//		dep, err := version.NewDeprecation(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
//			version.WithSunset(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)), // 410 from then on
//			version.WithSuccessor("/v2/referrals"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		wr := envelope.New(envelope.Meta("2025-01-01"), envelope.WithVersion(version.Of))
//
//		mux := http.NewServeMux()
//		mux.HandleFunc("GET /v2/referrals/{id}", func(w http.ResponseWriter, r *http.Request) {
//			ref := Referral{ID: r.PathValue("id"), Status: "accepted"}
//			if version.FromContext(r.Context()).Before("2025-06-01") { // API-Version: 2025-01-01
//				ref.Status = "ACCEPTED" // the older contract
//			}
//			wr.OK(w, r, ref) // meta.version is the negotiated version
//		})
//		mux.Handle("GET /v1/referrals/{id}", dep.Handler(http.RedirectHandler("/v2/referrals", http.StatusMovedPermanently)))
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", wr.Handler(neg.Handler(wr.Routes(mux)))))
//	}
//
// A [Deprecation] marks a route or a group of routes as going away. Its
// responses carry Deprecation (RFC 9745), Sunset (RFC 8594) and Link
// fields (rel "deprecation", "sunset" and "successor-version"); past the
// sunset, and in optional brownout windows before it, the route answers
// 410 [ErrSunset] naming its successor; an observer learns who still calls
// it:
//
//	dep, err := version.NewDeprecation(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
//		version.WithSunset(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)),
//		version.WithSuccessor("/v2/patients"),
//		version.WithObserver(func(e version.Event) { deprecatedCalls.Add(e.Caller, 1) }),
//		version.WithCaller(partnerID))
//	mux.Handle("GET /api/v1/patients", dep.Handler(listPatients))
//
// Both answer errors through [problem.WriteTo]: in the API's dialect when
// the envelope middleware runs before them, as plain RFC 9457 otherwise.
package version
