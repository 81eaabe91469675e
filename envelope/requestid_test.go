package envelope_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/oklog/ulid/v2"
)

func TestValidRequestID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"seed form", "req_1705312200000_abc123", true},
		{"ulid", "01HMF5ZQ8R3T9V6W2X4Y7Z0ABC", true},
		{"all punctuation", "a.b_c:d-e", true},
		{"max length", strings.Repeat("a", 128), true},
		{"too long", strings.Repeat("a", 129), false},
		{"empty", "", false},
		{"space", "req 1", false},
		{"newline", "req\n1", false},
		{"quote", `req"1`, false},
		{"slash", "req/1", false},
		{"non-ascii", "réq", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := acceptsRequestID(tc.id); got != tc.want {
				t.Errorf("ValidRequestID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}

func TestGenerators(t *testing.T) {
	now := time.UnixMilli(1705312200000)
	seedForm := regexp.MustCompile(`^req_1705312200000_[0-9a-z]{12}$`)
	a, b := envelope.NewReqID(now), envelope.NewReqID(now)
	if !seedForm.MatchString(a) || a == b {
		t.Errorf("NewReqID = %q, %q; want two different req_<ms>_<12 chars>", a, b)
	}
	u := envelope.NewULID(now)
	parsed, err := ulid.ParseStrict(u)
	if err != nil || parsed.Time() != 1705312200000 {
		t.Errorf("NewULID = %q (%v), time %d", u, err, parsed.Time())
	}
	if !acceptsRequestID(a) || !acceptsRequestID(u) {
		t.Errorf("generated IDs must be valid inbound IDs: %q %q", a, u)
	}
}

func TestRequestIDMiddleware(t *testing.T) {
	wr := envelope.New(envelope.Standard(), envelope.WithRequestIDs(func(time.Time) string { return "req_new" }))
	tests := []struct {
		name    string
		inbound string
		want    string
	}{
		{"accepted", "abc-123.x:y_z", "abc-123.x:y_z"},
		{"missing", "", "req_new"},
		{"unsafe replaced", "abc\r\nInjected: 1", "req_new"},
		{"too long replaced", strings.Repeat("x", 129), "req_new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var inCtx string
			h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inCtx, _ = envelope.RequestIDFrom(r.Context())
				wr.OK(w, r, 1)
			}))
			req := httptest.NewRequest("GET", "/", nil)
			if tc.inbound != "" {
				req.Header["X-Request-Id"] = []string{tc.inbound}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Header().Get("X-Request-Id"); got != tc.want {
				t.Errorf("header = %q, want %q", got, tc.want)
			}
			if inCtx != tc.want {
				t.Errorf("context = %q, want %q", inCtx, tc.want)
			}
			if !strings.Contains(rec.Body.String(), `"requestId":"`+tc.want+`"`) {
				t.Errorf("body lacks the ID: %s", rec.Body)
			}
		})
	}
	if _, ok := envelope.RequestIDFrom(httptest.NewRequest("GET", "/", nil).Context()); ok {
		t.Error("RequestIDFrom reports an ID outside the middleware")
	}
}

func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"req_1705312200000_abc123", "", "a b", strings.Repeat("z", 200), "\x00", "é"} {
		f.Add(s)
	}
	wr := envelope.New(envelope.Plain(), envelope.WithRequestIDs(func(time.Time) string { return "gen" }))
	f.Fuzz(func(t *testing.T, id string) {
		ok := acceptsRequestID(id)
		safe := regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`).MatchString(id)
		if ok != safe {
			t.Fatalf("ValidRequestID(%q) = %v, want %v", id, ok, safe)
		}
		var got string
		req := httptest.NewRequest("GET", "/", nil)
		req.Header["X-Request-Id"] = []string{id}
		rec := httptest.NewRecorder()
		wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ = envelope.RequestIDFrom(r.Context())
		})).ServeHTTP(rec, req)
		want := "gen"
		if ok {
			want = id
		}
		if got != want || rec.Header().Get("X-Request-Id") != want {
			t.Fatalf("inbound %q: context %q, header %q, want %q", id, got, rec.Header().Get("X-Request-Id"), want)
		}
	})
}

// acceptsRequestID reports whether the writer's middleware keeps id as the
// request ID rather than making a new one.
func acceptsRequestID(id string) bool {
	wr := envelope.New(envelope.Plain(), envelope.WithRequestIDs(func(time.Time) string { return "generated" }))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header["X-Request-Id"] = []string{id}
	rec := httptest.NewRecorder()
	wr.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(rec, req)
	return id != "generated" && rec.Header().Get("X-Request-Id") == id
}
