package idempotency_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/problem"
)

// TestErrorsInTheAPIsDialect: a middleware given no error writer answers
// its errors in the dialect of the envelope middleware around it, exactly
// as that writer writes the same problem; an explicit WithErrorWriter still
// wins, and without either the answer is plain RFC 9457.
func TestErrorsInTheAPIsDialect(t *testing.T) {
	store := newMemoryStore()
	defer store.Close()
	created := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	clock := func() time.Time { return time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC) }
	dialects := []struct {
		name string
		d    envelope.Dialect
	}{
		{"standard", envelope.Standard()},
		{"meta", envelope.Meta("2025-01-01")},
		{"ack", envelope.Ack()},
		{"records", envelope.Records()},
		{"plain", envelope.Plain()},
	}
	errorsOf := []struct {
		name   string
		key    string
		body   string
		status int
		want   error // the problem the middleware answers with
	}{
		{"missing key", "", "{}", 400, idempotency.MissingKey.Newf("The Idempotency-Key header is required for POST requests")},
		{"mismatch", "k1", `{"b":2}`, 422, idempotency.KeyMismatch.Newf("This Idempotency-Key was already used with a different request (method, path, query or body)")},
	}
	for _, dl := range dialects {
		wr := envelope.New(dl.d, envelope.WithClock(clock))
		for _, tc := range errorsOf {
			t.Run(dl.name+"/"+tc.name, func(t *testing.T) {
				m, err := idempotency.New(store, idempotency.WithRequireKey())
				if err != nil {
					t.Fatal(err)
				}
				h := wr.Handler(m.Handler(created))
				caller := "Bearer " + dl.name + tc.name
				send := func(key, body string) *httptest.ResponseRecorder {
					r := httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader(body))
					r.Header.Set("Authorization", caller)
					r.Header.Set("X-Request-Id", "req-1")
					if key != "" {
						r.Header.Set("Idempotency-Key", key)
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					return w
				}
				send("k1", `{"b":1}`) // so that k1 with another body is a mismatch
				got := send(tc.key, tc.body)

				// What the API's writer itself writes for this problem.
				want := httptest.NewRecorder()
				wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					wr.WriteError(w, r, tc.want)
				})).ServeHTTP(want, func() *http.Request {
					r := httptest.NewRequest(http.MethodPost, "/orders", nil)
					r.Header.Set("X-Request-Id", "req-1")
					return r
				}())
				if got.Code != tc.status || got.Code != want.Code {
					t.Fatalf("status %d, want %d (the writer's: %d)", got.Code, tc.status, want.Code)
				}
				if g, w := got.Header().Get("Content-Type"), want.Header().Get("Content-Type"); g != w {
					t.Fatalf("Content-Type %q, want the writer's %q", g, w)
				}
				if g, w := jsonKeys(t, got.Body.Bytes()), jsonKeys(t, want.Body.Bytes()); !slices.Equal(g, w) {
					t.Fatalf("body members %v, want the writer's %v:\n got %s\nwant %s", g, w, got.Body, want.Body)
				}
				if got.Body.String() != want.Body.String() {
					t.Fatalf("body\n got %s\nwant %s", got.Body, want.Body)
				}
			})
		}
	}

	std := envelope.New(envelope.Standard())
	for _, tc := range []struct {
		name     string
		opts     []idempotency.Option
		wrap     bool
		standard bool
	}{
		{"explicit writer wins over the context's", []idempotency.Option{idempotency.WithErrorWriter(problem.Writer{})}, true, false},
		{"no writer anywhere: RFC 9457", nil, false, false},
		{"the context's writer", nil, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := idempotency.New(store, append(tc.opts, idempotency.WithRequireKey())...)
			if err != nil {
				t.Fatal(err)
			}
			h := m.Handler(created)
			if tc.wrap {
				h = std.Handler(h)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/orders", strings.NewReader("{}")))
			_, isStandard := jsonObject(t, w.Body.Bytes())["success"]
			isProblem := w.Header().Get("Content-Type") == problem.ContentType
			if w.Code != 400 || isStandard != tc.standard || isProblem == tc.standard {
				t.Fatalf("%d %s %s; want the standard envelope: %v", w.Code, w.Header().Get("Content-Type"), w.Body, tc.standard)
			}
		})
	}
}

func jsonObject(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return m
}

func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var keys []string
	for k := range jsonObject(t, b) {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
