package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

var _ problem.ErrorWriter = (*envelope.Writer)(nil)

var testNow = time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)

// newTestWriter returns a writer with a fixed clock and request ID whose
// log lines go to the returned buffer.
func newTestWriter(d envelope.Dialect) (*envelope.Writer, *bytes.Buffer) {
	var logs bytes.Buffer
	wr := envelope.New(d,
		envelope.WithClock(func() time.Time { return testNow }),
		envelope.WithRequestIDs(func(time.Time) string { return "req_fixed" }),
		envelope.WithCatalog(mustCatalog(parchment)),
		envelope.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	return wr, &logs
}

func serve(h func(w http.ResponseWriter, r *http.Request), method string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest(method, "/things", nil))
	return rec
}

func TestWriterResponses(t *testing.T) {
	secret := "dial tcp 10.0.0.7:5432: connection refused"
	tests := []struct {
		name       string
		dialect    envelope.Dialect
		method     string
		write      func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request)
		status     int
		body       string // exact body; "" means none
		header     map[string]string
		logHas     string
		notInBody  string
		contentLen bool
	}{
		{name: "ok standard", dialect: envelope.Standard(), method: "GET",
			write:  func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) { wr.OK(w, r, map[string]int{"n": 1}) },
			status: 200, body: `{"success":true,"statusCode":200,"message":"Success","data":{"n":1},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_fixed"}`,
			header: map[string]string{"Content-Type": "application/json", "X-Request-Id": "req_fixed"}, contentLen: true},
		{name: "head has headers but no body", dialect: envelope.Standard(), method: "HEAD",
			write:  func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) { wr.OK(w, r, map[string]int{"n": 1}) },
			status: 200, header: map[string]string{"Content-Length": "131", "Content-Type": "application/json"}},
		{name: "no content", dialect: envelope.Standard(), method: "DELETE",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.Write(w, r, http.StatusNoContent, nil)
			},
			status: 204, header: map[string]string{"Content-Type": "", "Content-Length": "", "X-Request-Id": "req_fixed"}},
		{name: "not modified", dialect: envelope.Meta("v1"), method: "GET",
			write:  func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) { wr.Write(w, r, 304, "ignored") },
			status: 304, header: map[string]string{"Content-Type": ""}},
		{name: "created with location", dialect: envelope.Plain(), method: "POST",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.Created(w, r, "/things/1", map[string]string{"id": "1"})
			},
			status: 201, body: `{"id":"1"}`, header: map[string]string{"Location": "/things/1"}, contentLen: true},
		{name: "accepted ack is RECEIVED", dialect: envelope.Ack(), method: "POST",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.Write(w, r, http.StatusAccepted, envelope.Acknowledgement{RequestID: "phil_1", ReferenceID: "ref_1"})
			},
			status: 202, body: `{"requestID":"phil_1","metadata":{"referenceID":"ref_1","responseType":"RECEIVED","responseID":"req_fixed","responseTimestamp":"2024-01-15T10:30:00Z"}}`},
		{name: "nil slice is an empty array", dialect: envelope.Meta("v1"), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				var none []string
				wr.OK(w, r, none)
			},
			status: 200, body: `{"data":[],"meta":{"version":"v1","requestId":"req_fixed","timestamp":"2024-01-15T10:30:00.000Z"}}`},
		{name: "nil list in records style", dialect: envelope.Records(), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				envelope.List[int](wr, w, r, nil, pagination.Page{Style: pagination.RecordsStyle})
			},
			status: 200, body: `{"records":[],"has_more":false,"first_id":null,"last_id":null}`},
		{name: "nil list plain", dialect: envelope.Plain(), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				envelope.List[int](wr, w, r, nil, pagination.Page{})
			},
			status: 200, body: `[]`},
		{name: "encoding failure is the dialect's 500", dialect: envelope.Standard(), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.OK(w, r, map[string]any{"f": func() {}})
			},
			status: 500, logHas: "encoding the response failed", notInBody: "func",
			body: `{"success":false,"statusCode":500,"error":{"type":"https://parchment.health/errors/internal-error","title":"Internal server error","detail":"An unexpected error occurred while processing your request"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_fixed"}`},
		{name: "ack needs an Acknowledgement", dialect: envelope.Ack(), method: "POST",
			write:  func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) { wr.OK(w, r, "not an ack") },
			status: 500, logHas: "envelope.Acknowledgement"},
		{name: "plain error never leaks the cause", dialect: envelope.Plain(), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, fmt.Errorf("loading: %w", errors.New(secret)))
			},
			status: 500, logHas: "connection refused", notInBody: "10.0.0.7",
			header: map[string]string{"Content-Type": "application/problem+json", "X-Content-Type-Options": "nosniff"}},
		{name: "retry after", dialect: envelope.Meta("v1"), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, problem.RateLimitExceeded.New("Slow down").WithRetryAfter(1500*time.Millisecond))
			},
			status: 429, header: map[string]string{"Retry-After": "2"},
			body: `{"error":{"code":"rate-limit/exceeded","message":"Slow down","details":{}}}`},
		{name: "unencodable extension is dropped", dialect: envelope.Standard(), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, problem.ResourceConflict.New("Taken").WithExtension("bad", make(chan int)))
			},
			status: 409, logHas: "encode_error",
			body: `{"success":false,"statusCode":409,"error":{"type":"https://parchment.health/errors/resource-conflict","title":"Resource conflict","detail":"Taken"},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_fixed"}`},
		{name: "problem without code in meta", dialect: envelope.Meta("v1"), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, &problem.Problem{Status: 418})
			},
			status: 418, body: `{"error":{"code":"http/418","message":"I'm a teapot","details":{}}}`},
		{name: "standard extensions follow validation", dialect: envelope.Standard(), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, problem.BusinessRuleViolation.New("No").WithExtension("limit", 3).WithExtension("code", "ignored"))
			},
			status: 422, body: `{"success":false,"statusCode":422,"error":{"type":"https://parchment.health/errors/business-rule-violation","title":"Business rule violation","detail":"No","limit":3},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_fixed"}`},
		{name: "sentinel mapped by definition", dialect: envelope.Plain(), method: "GET",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.WriteError(w, r, fmt.Errorf("lookup: %w", patientNotFound))
			},
			status: 404, body: `{"type":"https://parchment.health/errors/patient-not-found","title":"Patient not found","status":404,"code":"patients/not-found"}`},
		{name: "message option", dialect: envelope.Standard(), method: "POST",
			write: func(wr *envelope.Writer, w http.ResponseWriter, r *http.Request) {
				wr.Created(w, r, "", true, envelope.WithMessage("Made <it>"))
			},
			status: 201, body: `{"success":true,"statusCode":201,"message":"Made <it>","data":true,"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_fixed"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wr, logs := newTestWriter(tc.dialect)
			rec := serve(func(w http.ResponseWriter, r *http.Request) { tc.write(wr, w, r) }, tc.method)
			if rec.Code != tc.status {
				t.Errorf("status = %d, want %d (body %s)", rec.Code, tc.status, rec.Body)
			}
			if tc.body == "" && tc.notInBody == "" && tc.logHas == "" && rec.Body.Len() != 0 {
				t.Errorf("body = %q, want none", rec.Body)
			}
			if tc.body != "" && rec.Body.String() != tc.body {
				t.Errorf("body =\n%s\nwant\n%s", rec.Body, tc.body)
			}
			for k, v := range tc.header {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if tc.contentLen || rec.Body.Len() > 0 {
				if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) {
					t.Errorf("Content-Length = %q, body has %d bytes", got, rec.Body.Len())
				}
			}
			if tc.notInBody != "" && strings.Contains(rec.Body.String(), tc.notInBody) {
				t.Errorf("body leaks %q: %s", tc.notInBody, rec.Body)
			}
			if tc.logHas != "" && !strings.Contains(logs.String(), tc.logHas) {
				t.Errorf("log lacks %q: %s", tc.logHas, logs)
			}
			if rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", rec.Body)
			}
		})
	}
}

func TestWriterWithoutCatalogRendersAboutBlank(t *testing.T) {
	wr := envelope.New(envelope.Plain())
	rec := serve(func(w http.ResponseWriter, r *http.Request) {
		wr.WriteError(w, r, patientNotFound.New("gone"))
	}, "GET")
	want := `{"type":"about:blank","title":"Patient not found","status":404,"detail":"gone","code":"patients/not-found"}`
	if rec.Body.String() != want {
		t.Errorf("body = %s, want %s", rec.Body, want)
	}
	if id := rec.Header().Get("X-Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Errorf("X-Request-Id = %q, want a generated req_ ID", id)
	}
}

// TestWriterConcurrent writes through one writer, and two writers of
// different dialects, from many goroutines; run with -race.
func TestWriterConcurrent(t *testing.T) {
	std, _ := newTestWriter(envelope.Standard())
	meta, _ := newTestWriter(envelope.Meta("2025-01-01"))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				wr, prefix := std, `{"success":true`
				if (g+i)%2 == 1 {
					wr, prefix = meta, `{"data":`
				}
				n := g*1000 + i
				rec := serve(func(w http.ResponseWriter, r *http.Request) {
					envelope.List(wr, w, r, []int{n}, pagination.Page{Count: 1})
				}, "GET")
				body := rec.Body.String()
				if !strings.HasPrefix(body, prefix) || !strings.Contains(body, "["+strconv.Itoa(n)+"]") {
					errs <- fmt.Errorf("goroutine %d: body %s", g, body)
					return
				}
				if i%10 == 0 {
					rec = serve(func(w http.ResponseWriter, r *http.Request) {
						wr.WriteError(w, r, problem.ResourceNotFound.Newf("thing %d", n))
					}, "GET")
					if rec.Code != 404 || !strings.Contains(rec.Body.String(), "thing "+strconv.Itoa(n)) {
						errs <- fmt.Errorf("goroutine %d: error body %s", g, rec.Body)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHandle(t *testing.T) {
	wr, _ := newTestWriter(envelope.Plain())
	tests := []struct {
		name   string
		fn     func(*http.Request) ([]string, error)
		status int
		body   string
	}{
		{"value", func(*http.Request) ([]string, error) { return []string{"a"}, nil }, 200, `["a"]`},
		{"nil slice", func(*http.Request) ([]string, error) { return nil, nil }, 200, `[]`},
		{"problem", func(*http.Request) ([]string, error) { return nil, problem.AccessDenied.New("no") }, 403,
			`{"type":"https://parchment.health/errors/access-denied","title":"Access denied","status":403,"detail":"no","code":"auth/access-denied"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			envelope.Handle(wr, tc.fn).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != tc.status || rec.Body.String() != tc.body {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body, tc.status, tc.body)
			}
		})
	}
}
