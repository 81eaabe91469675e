package envelope_test

import (
	"encoding/json"
	"errors"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
)

func TestRecover(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		status    int
		rePanic   any
		wantInLog string
	}{
		{name: "panic becomes the dialect's 500",
			handler: func(http.ResponseWriter, *http.Request) { panic("secret: nil map in billing") },
			status:  500, wantInLog: "nil map in billing"},
		{name: "panic with an error",
			handler: func(http.ResponseWriter, *http.Request) { panic(errors.New("boom")) },
			status:  500, wantInLog: "handler_test.go"},
		{name: "abort handler passes through",
			handler: func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) },
			rePanic: http.ErrAbortHandler},
		{name: "panic after the response started aborts",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(200)
				_, _ = w.Write([]byte("partial"))
				panic("late")
			},
			rePanic: http.ErrAbortHandler, wantInLog: "late"},
		{name: "no panic", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201) }, status: 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wr, logs := newTestWriter(envelope.Meta("v1"))
			h := wr.Handler((tc.handler))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Request-Id", "req_panic")
			rec := httptest.NewRecorder()
			var got any
			func() {
				defer func() { got = recover() }()
				h.ServeHTTP(rec, req)
			}()
			if got != tc.rePanic {
				t.Fatalf("re-panic = %v, want %v", got, tc.rePanic)
			}
			if tc.status != 0 && rec.Code != tc.status {
				t.Errorf("status = %d, want %d", rec.Code, tc.status)
			}
			if tc.status == 500 {
				body := rec.Body.String()
				if !strings.HasPrefix(body, `{"error":{"code":"internal/error"`) || strings.Contains(body, "secret") || strings.Contains(body, "boom") {
					t.Errorf("body = %s", body)
				}
				if rec.Header().Get("X-Request-Id") != "req_panic" {
					t.Errorf("X-Request-Id = %q", rec.Header().Get("X-Request-Id"))
				}
				if !strings.Contains(logs.String(), "req_panic") || !strings.Contains(logs.String(), "stack=") {
					t.Errorf("log lacks the request ID or the stack: %s", logs)
				}
			}
			if tc.wantInLog != "" && !strings.Contains(logs.String(), tc.wantInLog) {
				t.Errorf("log lacks %q: %s", tc.wantInLog, logs)
			}
		})
	}
}

// allDialects are the built-in dialects, by name.
var allDialects = []struct {
	name string
	d    envelope.Dialect
}{
	{"standard", envelope.Standard()}, {"meta", envelope.Meta("v1")}, {"ack", envelope.Ack()},
	{"records", envelope.Records()}, {"plain", envelope.Plain()},
}

// dialectOf reports which dialect wrote an error body, by its shape.
func dialectOf(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %s", body)
	}
	switch {
	case m["success"] != nil:
		return "standard"
	case m["metadata"] != nil:
		return "ack"
	case m["error"] != nil:
		return "meta"
	case m["type"] != nil && m["status"] != nil:
		return "problem" // records and plain errors are RFC 9457
	}
	return "unknown"
}

func wantShape(name string) string {
	if name == "records" || name == "plain" {
		return "problem"
	}
	return name
}

func TestUnknownRouteAndMethodInEachDialect(t *testing.T) {
	for _, dc := range allDialects {
		for _, via := range []string{"Handler(mux)", "Routes(mux)"} {
			t.Run(dc.name+"/"+via, func(t *testing.T) {
				wr, _ := newTestWriter(dc.d)
				mux := http.NewServeMux()
				mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
					wr.WriteError(w, r, problem.ResourceNotFound.New("handler's own 404"))
				})
				mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {})
				var h http.Handler
				if via == "Handler(mux)" {
					h = wr.Handler(mux)
				} else {
					h = wr.Handler(http.HandlerFunc(wr.Routes(mux).ServeHTTP))
				}
				for _, tc := range []struct {
					method, path string
					status       int
					allow        string
					detail       string
				}{
					{"GET", "/nowhere", 404, "", "No resource exists"},
					{"DELETE", "/orders", 405, "GET, HEAD, POST", "DELETE is not allowed"},
					{"GET", "/orders", 404, "", "handler's own 404"},
				} {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
					if rec.Code != tc.status || rec.Header().Get("Allow") != tc.allow {
						t.Errorf("%s %s: status %d Allow %q, want %d %q", tc.method, tc.path, rec.Code, rec.Header().Get("Allow"), tc.status, tc.allow)
					}
					if ct := rec.Header().Get("Content-Type"); strings.HasPrefix(ct, "text/plain") {
						t.Errorf("%s %s: ServeMux's text/plain answer leaked: %q", tc.method, tc.path, rec.Body)
					}
					if got := dialectOf(t, rec.Body.Bytes()); got != wantShape(dc.name) {
						t.Errorf("%s %s: answered as %s, want %s: %s", tc.method, tc.path, got, dc.name, rec.Body)
					}
					if !strings.Contains(rec.Body.String(), tc.detail) {
						t.Errorf("%s %s: body %s lacks %q", tc.method, tc.path, rec.Body, tc.detail)
					}
				}
			})
		}
	}
}

// TestContextWriterInEachDialect: a middleware that names no error writer
// (problem.WriteTo(nil, …), as every apikit middleware does by default)
// and a handler using problem.Write answer in the API's dialect, with the
// request's ID, once the writer's Handler wraps them.
func TestContextWriterInEachDialect(t *testing.T) {
	for _, dc := range allDialects {
		t.Run(dc.name, func(t *testing.T) {
			wr, _ := newTestWriter(dc.d)
			limiter := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Query().Has("limited") {
						problem.WriteTo(nil, w, r, problem.RateLimitExceeded.New("slow down").WithRetryAfter(time.Second))
						return
					}
					next.ServeHTTP(w, r)
				})
			}
			h := wr.Handler(limiter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, err := envelope.Decode[struct{ N int }](r)
				problem.Write(w, r, err)
			})))
			for _, url := range []string{"/?limited", "/"} {
				req := httptest.NewRequest("POST", url, strings.NewReader(`{"N":"x"}`))
				req.Header.Set("X-Request-Id", "req_inbound")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if got := dialectOf(t, rec.Body.Bytes()); got != wantShape(dc.name) {
					t.Errorf("%s: answered as %s, want %s: %s", url, got, dc.name, rec.Body)
				}
				if rec.Header().Get("X-Request-Id") != "req_inbound" {
					t.Errorf("%s: X-Request-Id = %q", url, rec.Header().Get("X-Request-Id"))
				}
			}
		})
	}
	// Without the Handler, the same code falls back to plain RFC 9457.
	rec := httptest.NewRecorder()
	problem.Write(rec, httptest.NewRequest("GET", "/", nil), problem.InvalidRequest.New("x"))
	if rec.Header().Get("Content-Type") != problem.ContentType {
		t.Errorf("fallback Content-Type = %q", rec.Header().Get("Content-Type"))
	}
}

func TestListStyleMismatchFailsLoudly(t *testing.T) {
	std := pagination.Page{Count: 1, Limit: 1, HasNext: true, NextCursor: "c2", Style: pagination.StandardStyle}
	rec := pagination.Page{Count: 1, Limit: 1, HasNext: true, FirstID: "a1", LastID: "a2", Style: pagination.RecordsStyle}
	tests := []struct {
		name string
		d    envelope.Dialect
		page pagination.Page
		ok   bool
	}{
		{"standard with records page", envelope.Standard(), rec, false},
		{"meta with records page", envelope.Meta("v1"), rec, false},
		{"records with standard page", envelope.Records(), std, false},
		{"standard with standard page", envelope.Standard(), std, true},
		{"meta with standard page", envelope.Meta("v1"), std, true},
		{"records with records page", envelope.Records(), rec, true},
		{"plain with either (Link headers)", envelope.Plain(), rec, true},
		{"plain with standard page", envelope.Plain(), std, true},
	}
	for _, tc := range tests {
		for _, how := range []string{"List", "WithPage"} {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				wr, logs := newTestWriter(tc.d)
				w := httptest.NewRecorder()
				r := httptest.NewRequest("GET", "/items", nil)
				if how == "List" {
					envelope.List(wr, w, r, []string{"a1"}, tc.page)
				} else {
					wr.OK(w, r, map[string]any{"items": []string{"a1"}}, envelope.WithPage(tc.page))
				}
				if tc.ok {
					if w.Code != 200 {
						t.Fatalf("status %d: %s", w.Code, w.Body)
					}
					return
				}
				if w.Code != 500 || strings.Contains(w.Body.String(), "a2") || strings.Contains(w.Body.String(), "c2") {
					t.Errorf("a mismatched page was written: %d %s", w.Code, w.Body)
				}
				if !strings.Contains(logs.String(), "cannot be written in a dialect") {
					t.Errorf("no log line names the mismatch: %s", logs)
				}
			})
		}
	}
}

func TestReadReportsBothRequestIDsAndReplay(t *testing.T) {
	for _, dc := range allDialects[:3] { // the dialects with a request ID in the body
		t.Run(dc.name, func(t *testing.T) {
			wr, _ := newTestWriter(dc.d)
			h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// A replayed response: the stored body of the first request
				// (its ID in the body), this request's ID in the header.
				w.Header().Set("Idempotent-Replayed", "true")
				w.Header().Set("Content-Type", "application/json")
				switch dc.name {
				case "standard":
					_, _ = w.Write([]byte(`{"success":true,"statusCode":200,"message":"Success","data":1,"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_first"}`))
				case "meta":
					_, _ = w.Write([]byte(`{"data":1,"meta":{"version":"v1","requestId":"req_first","timestamp":"2024-01-15T10:30:00.000Z"}}`))
				case "ack":
					_, _ = w.Write([]byte(`{"requestID":"req_first","metadata":{"referenceID":null,"responseType":"CONFIRMED","responseID":"x","responseTimestamp":"2024-01-15T10:30:00Z"}}`))
				}
			}))
			req := httptest.NewRequest("POST", "/", nil)
			req.Header.Set("X-Request-Id", "req_second")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			_, info, err := envelope.Read[json.RawMessage](rec.Result())
			if err != nil {
				t.Fatal(err)
			}
			if info.RequestID != "req_second" || info.BodyRequestID != "req_first" || !info.Replayed {
				t.Errorf("info = RequestID %q BodyRequestID %q Replayed %v", info.RequestID, info.BodyRequestID, info.Replayed)
			}
		})
	}
}

func TestAckEchoIsCapped(t *testing.T) {
	wr, _ := newTestWriter(envelope.Ack())
	type req struct {
		envelope.AckRequest
	}
	h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := envelope.Decode[req](r)
		wr.WriteError(w, r, err)
	}))
	long := strings.Repeat("x", 100<<10)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(`{"metadata":{"requestID":"`+long+`"},"`+long+`":1}`)))
	if rec.Body.Len() > 4<<10 {
		t.Fatalf("a 100 KiB id is echoed: %d bytes", rec.Body.Len())
	}
}

// TestEchoIsCappedInEachDialect: a 100 KiB id in the path is echoed by a
// handler in the detail and the instance, and by a field error; no
// dialect sends it back whole.
func TestEchoIsCappedInEachDialect(t *testing.T) {
	long := strings.Repeat("9", 100<<10)
	for _, dc := range allDialects {
		t.Run(dc.name, func(t *testing.T) {
			wr, _ := newTestWriter(dc.d)
			rec := httptest.NewRecorder()
			p := problem.ResourceNotFound.New("Order with ID '" + long + "' does not exist").WithInstance("/orders/" + long).
				WithFields(problem.FieldError{Field: "items[" + long + "]", Message: long})
			wr.WriteError(rec, httptest.NewRequest("GET", "/orders/x", nil), p)
			if rec.Code != 404 || rec.Body.Len() > 4<<10 {
				t.Fatalf("status %d, %d bytes: the id is echoed whole", rec.Code, rec.Body.Len())
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("invalid JSON: %.300s", rec.Body)
			}
		})
	}
}

// TestNestedRoutesKeepTheInnerDialect: a mux routed in one dialect inside
// a mux routed in another answers its unknown paths in its own dialect
// once, not rewritten again by the outer one.
func TestNestedRoutesKeepTheInnerDialect(t *testing.T) {
	outer := envelope.New(envelope.Standard())
	inner := envelope.New(envelope.Meta("2025-01-01"))
	innerMux := http.NewServeMux()
	innerMux.HandleFunc("GET /v1/things/{id}", func(w http.ResponseWriter, r *http.Request) { inner.OK(w, r, "thing") })
	outerMux := http.NewServeMux()
	outerMux.Handle("/v1/", inner.Routes(innerMux))
	h := outer.Handler(outer.Routes(outerMux))

	for _, tc := range []struct{ path, want string }{
		{"/v1/nothing", `"code":"resource/not-found"`}, // inner mux: meta dialect
		{"/elsewhere", `"success":false`},              // outer mux: standard dialect
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want 404 with %s", tc.path, rec.Code, rec.Body, tc.want)
		}
		if strings.Count(rec.Body.String(), "{") == 0 || strings.Contains(rec.Body.String(), "}{") {
			t.Errorf("%s: body written twice: %s", tc.path, rec.Body)
		}
	}
}
