package version_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/version"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func date(s string) time.Time        { t, _ := time.Parse(time.RFC3339, s); return t }
func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })

// The field values of the RFCs' own examples.
func TestFieldSyntaxRFCExamples(t *testing.T) {
	_, err := version.NewDeprecation(time.Unix(1688169599, 0), // RFC 9745 §2.2
		version.WithSunset(time.Date(2018, 12, 31, 23, 59, 59, 0, time.UTC)), // RFC 8594 §3
		version.WithDeprecationLink("https://developer.example.com/deprecation"),
		version.WithSunsetLink("http://example.net/sunset"),
		version.WithSuccessor("/v2/patients"),
		version.WithClock(func() time.Time { return time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC) }))
	if err == nil {
		t.Fatal("a sunset before the deprecation was accepted")
	}
	d, err := version.NewDeprecation(time.Unix(1688169599, 0),
		version.WithSunset(time.Date(2024, 12, 31, 23, 59, 59, 0, time.FixedZone("CET", 3600))),
		version.WithDeprecationLink("https://developer.example.com/deprecation"),
		version.WithSunsetLink("http://example.net/sunset"),
		version.WithSuccessor("/v2/patients"),
		version.WithClock(func() time.Time { return date("2023-01-01T00:00:00Z") }))
	if err != nil {
		t.Fatal(err)
	}
	w := serve(d.Handler(ok), httptest.NewRequest(http.MethodGet, "/api/v1/patients", nil))
	if w.Code != 200 || w.Body.String() != "ok" {
		t.Fatalf("before the sunset: %d %s", w.Code, w.Body)
	}
	if got, want := w.Header().Get("Deprecation"), "@1688169599"; got != want { // RFC 9745 §2.2
		t.Errorf("Deprecation = %q, want %q", got, want)
	}
	// RFC 8594 §3's syntax, "Sunset: Sat, 31 Dec 2018 23:59:59 GMT": an
	// IMF-fixdate in GMT, whatever the zone of the configured time.
	if got, want := w.Header().Get("Sunset"), "Tue, 31 Dec 2024 22:59:59 GMT"; got != want {
		t.Errorf("Sunset = %q, want %q", got, want)
	}
	links := w.Header().Values("Link")
	want := []string{
		`<https://developer.example.com/deprecation>; rel="deprecation"; type="text/html"`, // RFC 9745 §3, verbatim
		`<http://example.net/sunset>; rel="sunset"; type="text/html"`,
		`</v2/patients>; rel="successor-version"`,
	}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("Link (-want +got):\n%s", diff)
	}
	// RFC 8594 §6 writes its example without optional whitespace.
	if got := strings.ReplaceAll(links[1], "; ", ";"); got != `<http://example.net/sunset>;rel="sunset";type="text/html"` {
		t.Errorf("sunset Link = %q, not RFC 8594 §6's field", links[1])
	}

	// RFC 8594's own date, with a clock before it.
	d, err = version.NewDeprecation(time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC),
		version.WithSunset(time.Date(2018, 12, 31, 23, 59, 59, 0, time.UTC)),
		version.WithClock(func() time.Time { return date("2018-06-01T00:00:00Z") }))
	if err != nil {
		t.Fatal(err)
	}
	w = serve(d.Handler(ok), httptest.NewRequest(http.MethodGet, "/", nil))
	// RFC 8594 §3 prints "Sat, 31 Dec 2018 23:59:59 GMT", but 31 Dec 2018
	// was a Monday: the field names the same instant with the right day.
	rfc, err := http.ParseTime("Sat, 31 Dec 2018 23:59:59 GMT")
	if err != nil {
		t.Fatal(err)
	}
	got := w.Header().Get("Sunset")
	if want := "Mon, 31 Dec 2018 23:59:59 GMT"; got != want {
		t.Errorf("Sunset = %q, want %q", got, want)
	}
	if at, err := http.ParseTime(got); err != nil || !at.Equal(rfc) {
		t.Errorf("Sunset %q is not RFC 8594's instant %v (%v)", got, rfc, err)
	}
	if got, want := w.Header().Get("Deprecation"), "@1514764800"; got != want {
		t.Errorf("Deprecation = %q, want %q", got, want)
	}
	if _, ok := w.Header()["Link"]; ok {
		t.Error("Link set without any link configured")
	}
}

type problemBody struct {
	Status      int    `json:"status"`
	Code        string `json:"code"`
	Detail      string `json:"detail"`
	Successor   string `json:"successor"`
	Sunset      string `json:"sunset"`
	BrownoutEnd string `json:"brownoutEnd"`
}

func TestLifecycleWithFakeClock(t *testing.T) {
	clock := &fakeClock{}
	var events []version.Event
	var mu sync.Mutex
	d, err := version.NewDeprecation(date("2026-06-01T00:00:00Z"),
		version.WithSunset(date("2027-06-30T00:00:00Z")),
		version.WithSuccessor("/v2/patients"),
		version.WithBrownouts(
			version.Window{Start: date("2027-06-15T14:00:00Z"), End: date("2027-06-15T15:00:00Z")},
			version.Window{Start: date("2027-05-01T14:00:00Z"), End: date("2027-05-01T14:10:00Z")},
		),
		version.WithClock(clock.Now),
		version.WithCaller(func(r *http.Request) string { return r.Header.Get("X-Partner") }),
		version.WithObserver(func(e version.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	h := d.Handler(ok)
	tests := []struct {
		name     string
		now      string
		status   int
		event    bool // observed
		brownout string
	}{
		{"announced, not yet deprecated", "2026-05-31T23:59:59Z", 200, false, ""},
		{"deprecated", "2026-06-01T00:00:00Z", 200, true, ""},
		{"just before the first brownout", "2027-05-01T13:59:59Z", 200, true, ""},
		{"first brownout starts", "2027-05-01T14:00:00Z", 410, true, "2027-05-01T14:10:00Z"},
		{"inside the first brownout", "2027-05-01T14:09:59Z", 410, true, "2027-05-01T14:10:00Z"},
		{"first brownout ended", "2027-05-01T14:10:00Z", 200, true, ""},
		{"second brownout", "2027-06-15T14:30:00Z", 410, true, "2027-06-15T15:00:00Z"},
		{"last second before the sunset", "2027-06-29T23:59:59Z", 200, true, ""},
		{"sunset", "2027-06-30T00:00:00Z", 410, true, ""},
		{"long after the sunset", "2030-01-01T00:00:00Z", 410, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock.Set(date(tc.now))
			mu.Lock()
			events = nil
			mu.Unlock()
			r := httptest.NewRequest(http.MethodGet, "/api/v1/patients", nil)
			r.Header.Set("X-Partner", "acme")
			w := serve(h, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if w.Header().Get("Deprecation") != "@1780272000" || w.Header().Get("Sunset") != "Wed, 30 Jun 2027 00:00:00 GMT" ||
				w.Header().Get("Link") != `</v2/patients>; rel="successor-version"` {
				t.Errorf("fields missing: %v", w.Header())
			}
			mu.Lock()
			got := events
			mu.Unlock()
			if !tc.event {
				if len(got) != 0 {
					t.Errorf("observed before the deprecation: %+v", got)
				}
			} else if len(got) != 1 || got[0].Caller != "acme" || !got[0].Time.Equal(date(tc.now)) ||
				got[0].Gone != (tc.status == 410) || got[0].Brownout != (tc.brownout != "") ||
				!got[0].Sunset.Equal(date("2027-06-30T00:00:00Z")) || got[0].Request == nil {
				t.Errorf("events = %+v", got)
			}
			if tc.status != 410 {
				return
			}
			var p problemBody
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			wantDetail := "This endpoint was retired on 2027-06-30T00:00:00Z; use /v2/patients."
			if tc.brownout != "" {
				wantDetail = "This endpoint is unavailable during a scheduled brownout until " + tc.brownout +
					", ahead of its sunset on 2027-06-30T00:00:00Z; use /v2/patients."
			}
			want := problemBody{Status: 410, Code: "version/sunset", Detail: wantDetail, Successor: "/v2/patients",
				Sunset: "2027-06-30T00:00:00Z", BrownoutEnd: tc.brownout}
			if diff := cmp.Diff(want, p); diff != "" {
				t.Errorf("410 problem (-want +got):\n%s", diff)
			}
		})
	}
}

// A handler that replaces the Link field (pagination's SetLink does) keeps
// the deprecation's links.
func TestLinksSurviveHandler(t *testing.T) {
	d, err := version.NewDeprecation(date("2020-01-01T00:00:00Z"), version.WithSuccessor("/v2/patients"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`<https://api.example.com/patients?cursor=x>; rel="next"`, `</v2/patients>; rel="successor-version"`}
	handlers := map[string]http.HandlerFunc{
		"WriteHeader": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", want[0])
			w.WriteHeader(200)
		},
		"Write": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", want[0])
			_, _ = w.Write([]byte("[]"))
		},
		"Flush": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", want[0])
			_ = http.NewResponseController(w).Flush()
		},
		"nothing written": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", want[0])
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(d.Handler(h))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if diff := cmp.Diff(want, resp.Header.Values("Link")); diff != "" {
				t.Errorf("Link (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeprecationWithoutSunset(t *testing.T) {
	d, err := version.NewDeprecation(date("2020-01-01T00:00:00Z"),
		version.WithBrownouts(version.Window{Start: date("2021-01-01T00:00:00Z"), End: date("2021-01-02T00:00:00Z")}),
		version.WithClock(func() time.Time { return date("2021-01-01T12:00:00Z") }))
	if err != nil {
		t.Fatal(err)
	}
	w := serve(d.Handler(ok), httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 410 || w.Header().Get("Sunset") != "" {
		t.Fatalf("brownout without sunset: %d, Sunset %q", w.Code, w.Header().Get("Sunset"))
	}
	var p problemBody
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	if p.Detail != "This endpoint is unavailable during a scheduled brownout until 2021-01-02T00:00:00Z." || p.Sunset != "" {
		t.Errorf("problem = %+v", p)
	}
}

func TestDeprecationConfig(t *testing.T) {
	dep := date("2026-06-01T00:00:00Z")
	sunset := version.WithSunset(date("2027-06-30T00:00:00Z"))
	tests := []struct {
		name string
		dep  time.Time
		opts []version.Option
		want string
	}{
		{"zero deprecation", time.Time{}, nil, "deprecated"},
		{"sunset before deprecation", dep, []version.Option{version.WithSunset(dep.Add(-time.Second))}, "WithSunset"},
		{"empty window", dep, []version.Option{sunset, version.WithBrownouts(version.Window{Start: dep, End: dep})}, "WithBrownouts"},
		{"window before deprecation", dep, []version.Option{sunset, version.WithBrownouts(version.Window{Start: dep.Add(-time.Hour), End: dep.Add(time.Hour)})}, "WithBrownouts"},
		{"window after sunset", dep, []version.Option{sunset, version.WithBrownouts(version.Window{Start: date("2027-06-29T23:00:00Z"), End: date("2027-06-30T01:00:00Z")})}, "WithBrownouts"},
		{"link with a quote", dep, []version.Option{version.WithSuccessor(`/v2"><evil`)}, "WithSuccessor"},
		{"link with CRLF", dep, []version.Option{version.WithDeprecationLink("https://x.example/\r\nSet-Cookie: a=b")}, "WithDeprecationLink"},
		{"empty link", dep, []version.Option{version.WithSunsetLink("")}, "WithSunsetLink"},
		{"nil clock", dep, []version.Option{version.WithClock(nil)}, "WithClock"},
		{"negotiator option", dep, []version.Option{version.WithVersionHeader("X-Version")}, "WithVersionHeader: applies to a Negotiator only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := version.NewDeprecation(tc.dep, tc.opts...)
			if d != nil || err == nil || !strings.HasPrefix(err.Error(), "version: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewDeprecation = %v, %v; want an error containing %q", d, err, tc.want)
			}
		})
	}
}

// Many goroutines through one Deprecation, with the clock moving, under -race.
func TestDeprecationConcurrent(t *testing.T) {
	clock := &fakeClock{t: date("2026-07-01T00:00:00Z")}
	var mu sync.Mutex
	calls := map[string]int{}
	d, err := version.NewDeprecation(date("2026-06-01T00:00:00Z"),
		version.WithSunset(date("2027-06-30T00:00:00Z")), version.WithSuccessor("/v2/patients"),
		version.WithClock(clock.Now),
		version.WithCaller(func(r *http.Request) string { return r.Header.Get("X-Partner") }),
		version.WithObserver(func(e version.Event) { mu.Lock(); calls[e.Caller]++; mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	h := d.Handler(ok)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				if g == 0 && i == 100 {
					clock.Set(date("2027-07-01T00:00:00Z"))
				}
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("X-Partner", []string{"acme", "globex"}[g%2])
				if w := serve(h, r); w.Code != 200 && w.Code != 410 {
					t.Errorf("status %d", w.Code)
				}
			}
		})
	}
	wg.Wait()
	if calls["acme"] != 800 || calls["globex"] != 800 {
		t.Fatalf("observed calls = %v, want 800 each", calls)
	}
}
