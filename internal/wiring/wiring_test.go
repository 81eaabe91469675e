// Package wiring checks that apikit's packages fit together: a service
// that gives no middleware an error writer still answers every error in
// the dialect of the envelope.Writer whose Handler it runs behind.
package wiring

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/ratelimit"
	"github.com/apikit-go/apikit/signature"
	"github.com/apikit-go/apikit/version"
)

const base = "https://example.com/problems/"

var dialects = []struct {
	name string
	d    envelope.Dialect
}{
	{"standard", envelope.Standard()},
	{"meta", envelope.Meta("2025-01-01")},
	{"ack", envelope.Ack()},
	{"records", envelope.Records()},
	{"plain", envelope.Plain()},
}

// service is an API in one dialect whose middleware are built without
// any error writer: only the envelope middleware (wr.Handler) knows the
// dialect.
type service struct {
	h       http.Handler
	started chan struct{} // a request entered the slow handler
	release chan struct{} // lets it finish
}

func newService(t *testing.T, d envelope.Dialect) *service {
	t.Helper()
	catalog, err := problem.NewCatalog(base)
	if err != nil {
		t.Fatal(err)
	}
	wr := envelope.New(d, envelope.WithCatalog(catalog))
	s := &service{started: make(chan struct{}, 1), release: make(chan struct{})}

	store, err := idempotency.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	idem, err := idempotency.New(store, idempotency.WithRequireKey(), idempotency.WithValidator(idempotency.ValidateUUIDv4),
		idempotency.WithScope(func(*http.Request) string { return "caller" }))
	if err != nil {
		t.Fatal(err)
	}
	limitStore, err := ratelimit.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { limitStore.Close() })
	limiter, err := ratelimit.New(limitStore, []ratelimit.Policy{ratelimit.PerMinute(1)},
		ratelimit.WithKey(func(*http.Request) string { return "caller" }))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signature.NewVerifier(signature.StandardWebhooks(), []string{signature.NewSecret()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { verifier.Close() })
	negotiator, err := version.NewNegotiator([]string{"2025-01-01", "2025-06-01"})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := version.NewDeprecation(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		version.WithSunset(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pagination.NewKeyring(pagination.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	pager, err := pagination.New(keys)
	if err != nil {
		t.Fatal(err)
	}

	// Successes are not what this test is about (and the ack dialect
	// needs an Acknowledgement): the handlers write them by hand.
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"ok":true}`) })
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("slow") {
			s.started <- struct{}{}
			<-s.release
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ok":true}`)
	})
	mux := http.NewServeMux()
	mux.Handle("POST /idempotent", idem.Handler(slow))
	mux.Handle("GET /limited", limiter.Handler(ok))
	mux.Handle("POST /signed", verifier.Handler(ok))
	mux.Handle("GET /versioned", negotiator.Handler(ok))
	mux.Handle("GET /gone", gone.Handler(ok))
	mux.HandleFunc("GET /list", func(w http.ResponseWriter, r *http.Request) {
		if _, err := pager.Parse(r); err != nil {
			wr.WriteError(w, r, err)
			return
		}
		ok(w, r)
	})
	mux.HandleFunc("POST /decode", func(w http.ResponseWriter, r *http.Request) {
		if _, err := envelope.Decode[struct{ N int }](r, envelope.WithMaxBodyBytes(64)); err != nil {
			problem.Write(w, r, err) // the writer from the context
			return
		}
		ok(w, r)
	})
	mux.HandleFunc("GET /token", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, r, problem.InvalidToken.New("The token has expired"))
	})
	s.h = wr.Handler(mux)
	return s
}

func (s *service) do(method, target, body string, header map[string]string) *http.Response {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec.Result()
}

const key = "7b0f3c1e-8d2a-4f6b-9c3e-2a1d5e7f9b0c"

func TestEveryMiddlewareErrorInTheServiceDialect(t *testing.T) {
	type want struct {
		status int
		code   string
		header string // a header the answer must carry
	}
	asJSON := map[string]string{"Content-Type": "application/json"}
	for _, dc := range dialects {
		t.Run(dc.name, func(t *testing.T) {
			s := newService(t, dc.d)
			check := func(t *testing.T, res *http.Response, w want) {
				t.Helper()
				if res.StatusCode != w.status {
					t.Fatalf("status %d, want %d", res.StatusCode, w.status)
				}
				checkDialect(t, dc.name, res, w.status, w.code)
				if w.header != "" && res.Header.Get(w.header) == "" {
					t.Errorf("no %s header", w.header)
				}
			}
			steps := []struct {
				name                 string
				method, target, body string
				header               map[string]string
				want                 want
			}{
				{"idempotency missing key", "POST", "/idempotent", `{}`, asJSON, want{400, "idempotency/missing-key", ""}},
				{"idempotency invalid key", "POST", "/idempotent", `{}`, map[string]string{"Idempotency-Key": "not-a-uuid"}, want{400, "idempotency/invalid-key", ""}},
				{"rate limit first", "GET", "/limited", "", nil, want{200, "", "X-RateLimit-Limit"}},
				{"rate limit exceeded", "GET", "/limited", "", nil, want{429, "rate-limit/exceeded", "Retry-After"}},
				{"signature missing", "POST", "/signed", `{}`, asJSON, want{401, "auth/missing-signature", "WWW-Authenticate"}},
				{"signature wrong", "POST", "/signed", `{}`, map[string]string{
					"Webhook-Id": "msg_1", "Webhook-Timestamp": strconv.FormatInt(time.Now().Unix(), 10),
					"Webhook-Signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
				}, want{401, "auth/invalid-signature", "WWW-Authenticate"}},
				{"bearer token", "GET", "/token", "", nil, want{401, "auth/invalid-token", "WWW-Authenticate"}},
				{"version unknown", "GET", "/versioned", "", map[string]string{"API-Version": "1999-01-01"}, want{400, "version/unknown", ""}},
				{"version sunset", "GET", "/gone", "", nil, want{410, "version/sunset", "Sunset"}},
				{"pagination bad limit", "GET", "/list?limit=abc", "", nil, want{400, "pagination/invalid-limit", ""}},
				{"pagination bad cursor", "GET", "/list?lastKey=garbage", "", nil, want{400, "pagination/malformed-cursor", ""}},
				{"decode malformed", "POST", "/decode", `{"N":`, asJSON, want{400, "validation/invalid-request", ""}},
				{"decode too large", "POST", "/decode", `{"N":1,"pad":"` + strings.Repeat("x", 100) + `"}`, asJSON, want{413, "validation/request-too-large", ""}},
				{"decode media type", "POST", "/decode", `{"N":1}`, map[string]string{"Content-Type": "text/plain"}, want{415, "validation/unsupported-media-type", ""}},
				{"decode wrong type", "POST", "/decode", `{"N":"x"}`, asJSON, want{422, "", ""}},
				{"unknown route", "GET", "/nowhere", "", nil, want{404, "", ""}},
				{"wrong method", "DELETE", "/limited", "", nil, want{405, "validation/method-not-allowed", "Allow"}},
			}
			for _, st := range steps {
				t.Run(st.name, func(t *testing.T) {
					check(t, s.do(st.method, st.target, st.body, st.header), st.want)
				})
			}
			t.Run("idempotency in progress and mismatch", func(t *testing.T) {
				h := map[string]string{"Idempotency-Key": key, "Content-Type": "application/json"}
				done := make(chan *http.Response, 1)
				go func() { done <- s.do("POST", "/idempotent?slow", `{"a":1}`, h) }()
				select {
				case <-s.started:
				case res := <-done:
					b, _ := io.ReadAll(res.Body)
					t.Fatalf("first request did not reach the handler: %d %s", res.StatusCode, b)
				case <-time.After(10 * time.Second):
					t.Fatal("first request did not reach the handler")
				}
				check(t, s.do("POST", "/idempotent?slow", `{"a":1}`, h), want{409, "idempotency/in-progress", ""})
				close(s.release)
				first := <-done
				if first.StatusCode != 201 {
					t.Fatalf("first request: %d", first.StatusCode)
				}
				check(t, s.do("POST", "/idempotent?slow", `{"a":2}`, h), want{422, "idempotency/mismatch", ""})
			})
		})
	}
}

// checkDialect fails t unless res is an error (or, for status < 400, a
// success) written by the dialect name, not by the plain RFC 9457
// fallback, and carries code where the dialect writes codes (every
// dialect but standard, which writes the type URI).
func checkDialect(t *testing.T, name string, res *http.Response, status int, code string) {
	t.Helper()
	body, _ := io.ReadAll(res.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %q", body)
	}
	if status < 400 {
		return
	}
	str := func(v any) string { s, _ := v.(string); return s }
	obj := func(v any) map[string]any { o, _ := v.(map[string]any); return o }
	var gotCode, typ string
	switch name {
	case "standard":
		if m["success"] != false || m["statusCode"] != float64(status) {
			t.Fatalf("not a standard error envelope: %s", body)
		}
		typ = str(obj(m["error"])["type"])
	case "meta":
		if len(m) != 1 || obj(m["error"]) == nil {
			t.Fatalf("not a meta error: %s", body)
		}
		gotCode = str(obj(m["error"])["code"])
	case "ack":
		if str(obj(m["metadata"])["responseType"]) != "ERROR" {
			t.Fatalf("not an ack error: %s", body)
		}
		gotCode = str(obj(m["error"])["code"])
	case "records", "plain":
		if res.Header.Get("Content-Type") != problem.ContentType || m["status"] != float64(status) {
			t.Fatalf("not an RFC 9457 problem: %s %s", res.Header.Get("Content-Type"), body)
		}
		typ, gotCode = str(m["type"]), str(m["code"])
	}
	if name != "meta" && name != "ack" && !strings.HasPrefix(typ, base) {
		// problem.Writer{} (the fallback) writes about:blank: the
		// catalog's base shows the service's writer answered.
		t.Errorf("type %q: not the service's writer: %s", typ, body)
	}
	if name != "standard" && code != "" && gotCode != code {
		t.Errorf("code %q, want %q: %s", gotCode, code, body)
	}
	if name == "standard" && code != "" && !strings.HasPrefix(typ, base) {
		t.Errorf("type %q for %s", typ, code)
	}
}
