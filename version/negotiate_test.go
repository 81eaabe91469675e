package version_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/version"
	"github.com/google/go-cmp/cmp"
)

// echo answers with the negotiated version as the body.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = w.Write([]byte(version.FromContext(r.Context()).String() + "|" + version.Of(r)))
})

func TestNegotiate(t *testing.T) {
	pins := map[string]string{"acme": "2025-06-01", "old": "2024-01-01", "none": ""}
	n, err := version.NewNegotiator([]string{"2025-06-01", "2025-01-01", "2025-03-15"},
		version.WithPinned(func(r *http.Request) string { return pins[r.Header.Get("X-Partner")] }))
	if err != nil {
		t.Fatal(err)
	}
	h := n.Handler(echo)
	tests := []struct {
		name    string
		header  []string // API-Version values
		partner string
		status  int
		want    string // chosen version, or the problem's detail
	}{
		{"server default is the oldest", nil, "", 200, "2025-01-01"},
		{"header", []string{"2025-03-15"}, "", 200, "2025-03-15"},
		{"header wins over the pin", []string{"2025-01-01"}, "acme", 200, "2025-01-01"},
		{"pinned default", nil, "acme", 200, "2025-06-01"},
		{"empty pin falls back to the server default", nil, "none", 200, "2025-01-01"},
		{"empty header is absent", []string{""}, "acme", 200, "2025-06-01"},
		{"unknown version", []string{"2025-02-01"}, "", 400,
			`API version "2025-02-01" is not supported; supported: 2025-01-01, 2025-03-15, 2025-06-01`},
		{"malformed version", []string{"v2"}, "", 400,
			`API-Version "v2" is not a date version (YYYY-MM-DD); supported: 2025-01-01, 2025-03-15, 2025-06-01`},
		{"impossible date", []string{"2025-02-30"}, "", 400,
			`API-Version "2025-02-30" is not a date version (YYYY-MM-DD); supported: 2025-01-01, 2025-03-15, 2025-06-01`},
		{"two headers", []string{"2025-01-01", "2025-06-01"}, "", 400, "Send one API-Version header, not 2"},
		{"pin no longer supported", nil, "old", 400,
			`The version pinned for this caller, "2024-01-01", is no longer supported; send API-Version with one of: 2025-01-01, 2025-03-15, 2025-06-01`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/referrals", nil)
			for _, v := range tc.header {
				r.Header.Add("API-Version", v)
			}
			if tc.partner != "" {
				r.Header.Set("X-Partner", tc.partner)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 200 {
				if got, want := w.Body.String(), tc.want+"|"+tc.want; got != want {
					t.Errorf("context version = %q, want %q", got, want)
				}
				if got := w.Header().Get("API-Version"); got != tc.want {
					t.Errorf("API-Version response header = %q, want %q", got, tc.want)
				}
				if got := w.Header().Get("Vary"); got != "API-Version" {
					t.Errorf("Vary = %q, want API-Version", got)
				}
				return
			}
			if w.Header().Get("API-Version") != "" {
				t.Error("a rejected request echoes a version")
			}
			var body struct {
				Code      string   `json:"code"`
				Detail    string   `json:"detail"`
				Supported []string `json:"supported"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			want := []string{"2025-01-01", "2025-03-15", "2025-06-01"}
			if body.Code != "version/unknown" || body.Detail != tc.want || !cmp.Equal(body.Supported, want) {
				t.Errorf("problem = %+v, want code version/unknown, detail %q, supported %v", body, tc.want, want)
			}
		})
	}
}

func TestNegotiateHeaderAndDefault(t *testing.T) {
	n, err := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"},
		version.WithVersionHeader("X-Api-Version"), version.WithDefault("2025-06-01"))
	if err != nil {
		t.Fatal(err)
	}
	h := n.Handler(echo)
	for hdr, want := range map[string]string{"": "2025-06-01", "2025-01-01": "2025-01-01"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if hdr != "" {
			r.Header.Set("X-Api-Version", hdr)
			r.Header.Set("API-Version", "garbage") // not the configured header: ignored
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 || w.Header().Get("X-Api-Version") != want || w.Header().Get("API-Version") != "" {
			t.Errorf("X-Api-Version %q: status %d, echoed %q (API-Version %q), want %q",
				hdr, w.Code, w.Header().Get("X-Api-Version"), w.Header().Get("API-Version"), want)
		}
	}
}

func TestNegotiateErrorWriter(t *testing.T) {
	var got error
	ew := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(499)
	})
	n, err := version.NewNegotiator([]string{"2025-01-01"}, version.WithErrorWriter(ew))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("API-Version", "2030-01-01")
	w := httptest.NewRecorder()
	n.Handler(echo).ServeHTTP(w, r)
	if w.Code != 499 || !errors.Is(got, version.ErrUnknown) {
		t.Fatalf("status %d, error %v: the explicit writer was not used", w.Code, got)
	}
	// The context writer (the API's) is used when there is no option.
	n, _ = version.NewNegotiator([]string{"2025-01-01"})
	got = nil
	w = httptest.NewRecorder()
	n.Handler(echo).ServeHTTP(w, r.WithContext(problem.ContextWithWriter(r.Context(), ew)))
	if w.Code != 499 || !errors.Is(got, version.ErrUnknown) {
		t.Fatalf("status %d, error %v: the context writer was not used", w.Code, got)
	}
}

func TestNegotiatorConfig(t *testing.T) {
	tests := []struct {
		name      string
		supported []string
		opts      []version.Option
		want      string
	}{
		{"none", nil, nil, "no version given"},
		{"malformed", []string{"2025-01-01", "2025-1-1"}, nil, "malformed"},
		{"duplicate", []string{"2025-01-01", "2025-01-01"}, nil, "duplicate"},
		{"default not supported", []string{"2025-01-01"}, []version.Option{version.WithDefault("2025-06-01")}, "WithDefault"},
		{"bad header", []string{"2025-01-01"}, []version.Option{version.WithVersionHeader("API Version")}, "WithVersionHeader"},
		{"deprecation option", []string{"2025-01-01"}, []version.Option{version.WithSunset(time.Now())}, "WithSunset: applies to a Deprecation only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := version.NewNegotiator(tc.supported, tc.opts...)
			if n != nil || err == nil || !strings.HasPrefix(err.Error(), "version: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewNegotiator = %v, %v; want an error containing %q", n, err, tc.want)
			}
		})
	}
}

// A client reading the 400 back, in any dialect, matches it with errors.Is.
func TestUnknownParsesBack(t *testing.T) {
	n, err := version.NewNegotiator([]string{"2025-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler(echo))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("API-Version", "2099-01-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := problem.Parse(resp)
	if !errors.Is(p, version.ErrUnknown) || p.Extensions["supported"] == nil {
		t.Fatalf("parsed %+v, want version/unknown with the supported list", p)
	}
}

// Many goroutines negotiate through one Negotiator under -race, each
// seeing its own version.
func TestNegotiateConcurrent(t *testing.T) {
	supported := []string{"2025-01-01", "2025-03-01", "2025-06-01", "2025-09-01"}
	n, err := version.NewNegotiator(supported)
	if err != nil {
		t.Fatal(err)
	}
	h := n.Handler(echo)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				v := supported[(g+i)%len(supported)]
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("API-Version", v)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 || w.Body.String() != v+"|"+v || w.Header().Get("API-Version") != v {
					t.Errorf("sent %s, got %d %s (echo %s)", v, w.Code, w.Body, w.Header().Get("API-Version"))
					return
				}
			}
		})
	}
	wg.Wait()
}
