package version_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/version"
)

// get sends GET path through h with the given headers (name, value, …)
// and prints the status, the named response fields and the body.
func get(h http.Handler, path string, show []string, headers ...string) {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Print(w.Code)
	for _, name := range show {
		for _, v := range w.Header().Values(name) {
			fmt.Printf(" | %s: %s", name, v)
		}
	}
	if w.Body.Len() > 0 {
		fmt.Print(" | ", w.Body.String())
	}
	fmt.Println()
}

// withAPI stands for the envelope middleware: a request ID, and the API's
// error writer in the request context, where the version middleware finds
// it.
func withAPI(wr *envelope.Writer, h http.Handler) http.Handler {
	return wr.Handler(h)
}

func fixed(s string) func() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return func() time.Time { return t }
}

func day(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func ExampleParse() {
	v, err := version.Parse("2025-06-01")
	fmt.Println(v, err)
	_, err = version.Parse("2025-02-29")
	fmt.Println(errors.Is(err, version.ErrMalformed), err)
	// Output:
	// 2025-06-01 <nil>
	// true version: malformed date version "2025-02-29" (want YYYY-MM-DD)
}

func ExampleVersion_AtLeast() {
	v, _ := version.Parse("2025-06-01")
	fmt.Println(v.AtLeast("2025-01-01"), v.AtLeast("2025-06-01"), v.AtLeast("2025-09-01"))
	// Output: true true false
}

func ExampleVersion_Before() {
	v, _ := version.Parse("2025-06-01")
	var none version.Version
	fmt.Println(v.Before("2025-06-01"), v.Before("2025-09-01"), none.Before("2025-01-01"))
	// Output: false true true
}

func ExampleVersion_String() {
	v, _ := version.Parse("2025-01-01")
	fmt.Printf("%q %q\n", v.String(), version.Version{}.String())
	// Output: "2025-01-01" ""
}

func ExampleVersion_IsZero() {
	v, _ := version.Parse("2025-01-01")
	fmt.Println(v.IsZero(), version.Version{}.IsZero())
	// Output: false true
}

// One handler serves two versions of a resource.
func ExampleFromContext() {
	neg, _ := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"})
	h := neg.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if version.FromContext(r.Context()).AtLeast("2025-06-01") {
			fmt.Fprint(w, `{"status":"in_review"}`)
			return
		}
		fmt.Fprint(w, `{"status":"pending"}`) // the 2025-01-01 contract
	}))
	get(h, "/referrals/ref_1", nil)
	get(h, "/referrals/ref_1", nil, "API-Version", "2025-06-01")
	// Output:
	// 200 | {"status":"pending"}
	// 200 | {"status":"in_review"}
}

// The meta dialect writes the negotiated version as meta.version, and an
// unknown version is a 400 in the API's dialect.
func ExampleOf() {
	wr := envelope.New(envelope.Meta("2025-01-01"), envelope.WithVersion(version.Of),
		envelope.WithClock(fixed("2025-01-18T22:31:05.123Z")))
	neg, _ := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"})
	h := withAPI(wr, neg.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wr.OK(w, r, map[string]string{"id": "ref_1"})
	})))
	get(h, "/referrals/ref_1", []string{"API-Version"}, "X-Request-Id", "req_123")
	get(h, "/referrals/ref_1", []string{"API-Version"}, "X-Request-Id", "req_124", "API-Version", "2025-06-01")
	get(h, "/referrals/ref_1", []string{"API-Version"}, "X-Request-Id", "req_125", "API-Version", "2024-12-01")
	// Output:
	// 200 | API-Version: 2025-01-01 | {"data":{"id":"ref_1"},"meta":{"version":"2025-01-01","requestId":"req_123","timestamp":"2025-01-18T22:31:05.123Z"}}
	// 200 | API-Version: 2025-06-01 | {"data":{"id":"ref_1"},"meta":{"version":"2025-06-01","requestId":"req_124","timestamp":"2025-01-18T22:31:05.123Z"}}
	// 400 | {"error":{"code":"version/unknown","message":"API version \"2024-12-01\" is not supported; supported: 2025-01-01, 2025-06-01","details":{"supported":["2025-01-01","2025-06-01"]}}}
}

func ExampleNewNegotiator() {
	neg, err := version.NewNegotiator([]string{"2025-06-01", "2025-01-01"})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := neg.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, version.FromContext(r.Context()))
	}))
	get(h, "/", []string{"API-Version", "Vary"})
	get(h, "/", []string{"API-Version", "Vary"}, "API-Version", "2025-06-01")
	get(h, "/", nil, "API-Version", "June")

	_, err = version.NewNegotiator([]string{"2025-01-01", "2025-13-01"})
	fmt.Println(err)
	// Output:
	// 200 | API-Version: 2025-01-01 | Vary: API-Version | 2025-01-01
	// 200 | API-Version: 2025-06-01 | Vary: API-Version | 2025-06-01
	// 400 | {"type":"about:blank","title":"Unknown API version","status":400,"detail":"API-Version \"June\" is not a date version (YYYY-MM-DD); supported: 2025-01-01, 2025-06-01","code":"version/unknown","supported":["2025-01-01","2025-06-01"]}
	// version: supported: version: malformed date version "2025-13-01" (want YYYY-MM-DD)
}

func ExampleNegotiator_Handler() {
	neg, _ := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /referrals", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "referrals as of ", version.Of(r))
	})
	get(neg.Handler(mux), "/referrals", nil, "API-Version", "2025-06-01")
	// Output: 200 | referrals as of 2025-06-01
}

func ExampleNegotiator_Supported() {
	neg, _ := version.NewNegotiator([]string{"2025-06-01", "2024-11-01", "2025-01-01"})
	fmt.Println(neg.Supported())
	// Output: [2024-11-01 2025-01-01 2025-06-01]
}

func ExampleWithVersionHeader() {
	neg, _ := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"}, version.WithVersionHeader("X-Api-Version"))
	get(neg.Handler(http.NotFoundHandler()), "/", []string{"X-Api-Version"}, "X-Api-Version", "2025-06-01")
	// Output: 404 | X-Api-Version: 2025-06-01 | 404 page not found
}

func ExampleWithDefault() {
	neg, _ := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"}, version.WithDefault("2025-06-01"))
	get(neg.Handler(http.NotFoundHandler()), "/", []string{"API-Version"})
	// Output: 404 | API-Version: 2025-06-01 | 404 page not found
}

func ExampleWithPinned() {
	// The version each partner first integrated with.
	pinned := map[string]string{"acme": "2025-06-01"}
	neg, _ := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"},
		version.WithPinned(func(r *http.Request) string { return pinned[r.Header.Get("X-Partner")] }))
	h := neg.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	get(h, "/", []string{"API-Version"}, "X-Partner", "acme")                              // pinned
	get(h, "/", []string{"API-Version"}, "X-Partner", "acme", "API-Version", "2025-01-01") // the header wins
	get(h, "/", []string{"API-Version"}, "X-Partner", "globex")                            // server default
	// Output:
	// 200 | API-Version: 2025-06-01
	// 200 | API-Version: 2025-01-01
	// 200 | API-Version: 2025-01-01
}

func ExampleWithErrorWriter() {
	wr := envelope.New(envelope.Standard(), envelope.WithClock(fixed("2024-01-15T10:30:00Z")),
		envelope.WithRequestIDs(func(time.Time) string { return "req_1" }))
	neg, _ := version.NewNegotiator([]string{"2025-01-01"}, version.WithErrorWriter(wr))
	get(neg.Handler(http.NotFoundHandler()), "/", nil, "API-Version", "2026-01-01")
	// Output:
	// 400 | {"success":false,"statusCode":400,"error":{"type":"about:blank","title":"Unknown API version","detail":"API version \"2026-01-01\" is not supported; supported: 2025-01-01","supported":["2025-01-01"]},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1"}
}

func ExampleNewDeprecation() {
	dep, err := version.NewDeprecation(day("2026-06-01"),
		version.WithSunset(day("2027-06-30")),
		version.WithSuccessor("/v2/patients"),
		version.WithClock(fixed("2026-07-01T09:00:00Z")))
	if err != nil {
		fmt.Println(err)
		return
	}
	get(dep.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "[]")
	})), "/api/v1/patients", []string{"Deprecation", "Sunset", "Link"})

	_, err = version.NewDeprecation(day("2026-06-01"), version.WithSunset(day("2026-01-01")))
	fmt.Println(err)
	// Output:
	// 200 | Deprecation: @1780272000 | Sunset: Wed, 30 Jun 2027 00:00:00 GMT | Link: </v2/patients>; rel="successor-version" | []
	// version: WithSunset: the sunset is before the deprecation (RFC 9745 §4)
}

func ExampleDeprecation_Handler() {
	dep, _ := version.NewDeprecation(day("2026-06-01"), version.WithSunset(day("2027-06-30")),
		version.WithSuccessor("/v2/patients"), version.WithClock(fixed("2027-07-01T00:00:00Z")))
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/patients", dep.Handler(http.NotFoundHandler())) // one route, or a group
	get(mux, "/api/v1/patients", nil)
	// Output:
	// 410 | {"type":"about:blank","title":"Gone","status":410,"detail":"This endpoint was retired on 2027-06-30T00:00:00Z; use /v2/patients.","code":"version/sunset","successor":"/v2/patients","sunset":"2027-06-30T00:00:00Z"}
}

// Past the sunset the route answers 410 in the API's dialect.
func ExampleWithSunset() {
	wr := envelope.New(envelope.Standard(), envelope.WithClock(fixed("2024-01-15T10:30:00Z")),
		envelope.WithCatalog(catalog("https://example.com/errors/")))
	dep, _ := version.NewDeprecation(day("2026-06-01"), version.WithSunset(day("2027-06-30")),
		version.WithSuccessor("/v2/patients"), version.WithClock(fixed("2027-06-30T00:00:00Z")))
	get(withAPI(wr, dep.Handler(http.NotFoundHandler())), "/api/v1/patients", []string{"Sunset"}, "X-Request-Id", "req_1")
	// Output:
	// 410 | Sunset: Wed, 30 Jun 2027 00:00:00 GMT | {"success":false,"statusCode":410,"error":{"type":"https://example.com/errors/version/sunset","title":"Gone","detail":"This endpoint was retired on 2027-06-30T00:00:00Z; use /v2/patients.","successor":"/v2/patients","sunset":"2027-06-30T00:00:00Z"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1"}
}

func ExampleWithSuccessor() {
	dep, _ := version.NewDeprecation(day("2026-06-01"), version.WithSuccessor("https://api.example.com/v2/patients"))
	get(dep.Handler(http.NotFoundHandler()), "/", []string{"Link"})
	// Output: 404 | Link: <https://api.example.com/v2/patients>; rel="successor-version" | 404 page not found
}

func ExampleWithDeprecationLink() {
	dep, _ := version.NewDeprecation(time.Unix(1688169599, 0), // RFC 9745's example
		version.WithDeprecationLink("https://developer.example.com/deprecation"))
	get(dep.Handler(http.NotFoundHandler()), "/", []string{"Deprecation", "Link"})
	// Output: 404 | Deprecation: @1688169599 | Link: <https://developer.example.com/deprecation>; rel="deprecation"; type="text/html" | 404 page not found
}

func ExampleWithSunsetLink() {
	dep, _ := version.NewDeprecation(day("2026-06-01"), version.WithSunset(day("2027-06-30")),
		version.WithSunsetLink("https://developer.example.com/sunset-policy"),
		version.WithClock(fixed("2026-01-01T00:00:00Z")))
	get(dep.Handler(http.NotFoundHandler()), "/", []string{"Sunset", "Link"})
	// Output: 404 | Sunset: Wed, 30 Jun 2027 00:00:00 GMT | Link: <https://developer.example.com/sunset-policy>; rel="sunset"; type="text/html" | 404 page not found
}

func ExampleWithBrownouts() {
	now := day("2027-05-31")
	dep, _ := version.NewDeprecation(day("2026-06-01"), version.WithSunset(day("2027-06-30")),
		version.WithBrownouts(version.Window{
			Start: time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC),
			End:   time.Date(2027, 6, 1, 15, 0, 0, 0, time.UTC),
		}),
		version.WithClock(func() time.Time { return now }))
	h := dep.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, at := range []string{"2027-06-01T13:59:00Z", "2027-06-01T14:30:00Z", "2027-06-01T15:00:00Z"} {
		now, _ = time.Parse(time.RFC3339, at)
		get(h, "/api/v1/patients", nil)
	}
	// Output:
	// 200
	// 410 | {"type":"about:blank","title":"Gone","status":410,"detail":"This endpoint is unavailable during a scheduled brownout until 2027-06-01T15:00:00Z, ahead of its sunset on 2027-06-30T00:00:00Z.","code":"version/sunset","brownoutEnd":"2027-06-01T15:00:00Z","sunset":"2027-06-30T00:00:00Z"}
	// 200
}

func ExampleWithObserver() {
	dep, _ := version.NewDeprecation(day("2026-06-01"), version.WithSunset(day("2027-06-30")),
		version.WithCaller(func(r *http.Request) string { return r.Header.Get("X-Partner") }),
		version.WithObserver(func(e version.Event) {
			fmt.Printf("deprecated call by %s to %s (gone: %v)\n", e.Caller, e.Request.URL.Path, e.Gone)
		}),
		version.WithClock(fixed("2026-09-01T00:00:00Z")))
	get(dep.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})), "/api/v1/patients", nil, "X-Partner", "acme")
	// Output:
	// deprecated call by acme to /api/v1/patients (gone: false)
	// 200
}

func ExampleWithCaller() {
	callers := map[string]int{}
	dep, _ := version.NewDeprecation(day("2026-06-01"),
		version.WithCaller(func(r *http.Request) string { return r.Header.Get("X-Partner") }),
		version.WithObserver(func(e version.Event) { callers[e.Caller]++ }),
		version.WithClock(fixed("2026-09-01T00:00:00Z")))
	h := dep.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, p := range []string{"acme", "globex", "acme"} {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/patients", nil)
		r.Header.Set("X-Partner", p)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	fmt.Println(callers)
	// Output: map[acme:2 globex:1]
}

func ExampleWithClock() {
	dep, _ := version.NewDeprecation(day("2026-06-01"), version.WithSunset(day("2027-06-30")),
		version.WithClock(fixed("2027-06-29T23:59:59Z")))
	get(dep.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})), "/", nil)
	// Output: 200
}

func ExampleNewDeprecation_configuration() {
	// Bad configuration is an error from the constructor, naming the option.
	_, err := version.NewDeprecation(day("2026-06-01"), version.WithDefault("2025-01-01"))
	fmt.Println(err)
	// Output: version: WithDefault: applies to a Negotiator only
}

func catalog(base string) *problem.Catalog {
	c, err := problem.NewCatalog(base)
	if err != nil {
		panic(err)
	}
	return c
}
