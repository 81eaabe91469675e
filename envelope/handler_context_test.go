package envelope_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
)

type outerKey struct{}

type markWriter struct{}

func (markWriter) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	w.WriteHeader(599)
}

// Handler adds one context value that answers both the request ID and the
// error writer. Other keys reach the parent, a writer put in the context
// later wins over it without hiding the request ID, and cancellation
// passes through.
func TestHandlerContext(t *testing.T) {
	wr := envelope.New(envelope.Standard())
	var checked bool
	h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if got, _ := ctx.Value(outerKey{}).(string); got != "outer" {
			t.Errorf("parent's value = %q, want outer", got)
		}
		// The context carries the Handler's writer: WriteTo finds it.
		rec := httptest.NewRecorder()
		problem.WriteTo(nil, rec, r, problem.ResourceNotFound.New("x"))
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"success":false`) {
			t.Errorf("WriteTo with the context's writer: %d %s, want the standard dialect's 404", rec.Code, rec.Body)
		}
		if id, ok := envelope.RequestIDFrom(ctx); !ok || id != "req-1" {
			t.Errorf("RequestIDFrom = %q, %v", id, ok)
		}
		over := problem.ContextWithWriter(ctx, markWriter{})
		rec = httptest.NewRecorder()
		problem.WriteTo(nil, rec, r.WithContext(over), errors.New("x"))
		if rec.Code != 599 {
			t.Errorf("a writer added inside the Handler does not win: status %d", rec.Code)
		}
		if id, ok := envelope.RequestIDFrom(over); !ok || id != "req-1" {
			t.Errorf("RequestIDFrom under another value = %q, %v", id, ok)
		}
		child, cancel := context.WithCancel(ctx)
		defer cancel()
		r.Context().Value(outerKey{}) // still answers after WithCancel
		<-child.Done()                // the parent below is cancelled before the call
		if !errors.Is(child.Err(), context.Canceled) {
			t.Errorf("child.Err() = %v", child.Err())
		}
		checked = true
		w.WriteHeader(http.StatusNoContent)
	}))
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), outerKey{}, "outer"))
	cancel()
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	r.Header.Set("X-Request-Id", "req-1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if !checked || w.Code != http.StatusNoContent {
		t.Fatalf("handler ran: %v, status %d", checked, w.Code)
	}
}

// A Handler of another writer nested inside shares the outer request's
// information: the echo Decode records under the inner one is what the
// outer writer echoes.
func TestNestedHandlerSharesEcho(t *testing.T) {
	outerWr := envelope.New(envelope.Ack())
	innerWr := envelope.New(envelope.Ack())
	type in struct {
		envelope.AckRequest
		N int `json:"n"`
	}
	inner := innerWr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := envelope.Decode[in](r); err != nil {
			t.Errorf("Decode: %v", err)
		}
	}))
	h := outerWr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(httptest.NewRecorder(), r)
		outerWr.WriteError(w, r, problem.ResourceNotFound.New("gone"))
	}))
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"metadata":{"requestID":"caller-7"},"n":1}`))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), `"requestID":"caller-7"`) {
		t.Fatalf("outer writer does not echo the inner Decode's requestID: %s", w.Body)
	}
}

// Handler's own cost: the request copy, its context (one value for the
// ID and the writer), the response wrapper and the X-Request-Id value.
func TestHandlerAllocs(t *testing.T) {
	wr := envelope.New(envelope.Standard())
	h := wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Request-Id", "req-1")
	w := httptest.NewRecorder()
	n := testing.AllocsPerRun(100, func() {
		clear(w.Header())
		h.ServeHTTP(w, r)
	})
	if n > 2 {
		t.Errorf("Handler allocates %v times per request, want at most 2", n)
	}
}

// TestHandlerAllocsNewID: a request without an ID costs the Handler one
// allocation for its state (context, response writer, ID and header value)
// and one for the request's copy; a Routes inside the Handler, behind a
// middleware that passes the writer on, adds none.
func TestHandlerAllocsNewID(t *testing.T) {
	wr := envelope.New(envelope.Standard())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /x", func(w http.ResponseWriter, r *http.Request) {})
	pass := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"Handler", wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))},
		{"Handler+Routes", wr.Handler(pass(wr.Routes(mux)))},
	} {
		r := httptest.NewRequest("GET", "/x", nil)
		w := httptest.NewRecorder()
		n := testing.AllocsPerRun(100, func() {
			clear(w.Header())
			tc.h.ServeHTTP(w, r)
		})
		if n > 2 && !raceEnabled {
			t.Errorf("%s allocates %v times per request, want at most 2", tc.name, n)
		}
		if id := w.Header().Get("X-Request-Id"); !strings.HasPrefix(id, "req_") || len(id) != len("req_1705312200000_abc123abc123") {
			t.Errorf("%s: X-Request-Id %q, want a new req_<ms>_<12 chars>", tc.name, id)
		}
	}
}

// TestRoutesInsideOtherWritersHandler: Routes answers the mux's 404 and
// 405 in its own dialect inside another writer's Handler, and a Routes of
// the Handler's own writer in that writer's dialect.
func TestRoutesInsideOtherWritersHandler(t *testing.T) {
	std := envelope.New(envelope.Standard())
	plain := envelope.New(envelope.Plain())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /x", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	pass := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { next.ServeHTTP(w, r) })
	}
	for _, tc := range []struct {
		h                    http.Handler
		method, path         string
		status               int
		ct, allow, requestID string
	}{
		{std.Handler(pass(plain.Routes(mux))), "GET", "/x", 204, "", "", "req-1"},
		{std.Handler(pass(plain.Routes(mux))), "GET", "/nowhere", 404, "application/problem+json", "", "req-1"},
		{std.Handler(pass(plain.Routes(mux))), "POST", "/x", 405, "application/problem+json", "GET, HEAD", "req-1"},
		{std.Handler(pass(std.Routes(mux))), "GET", "/nowhere", 404, "application/json", "", "req-1"},
		{std.Handler(pass(std.Routes(mux))), "POST", "/x", 405, "application/json", "GET, HEAD", "req-1"},
	} {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.Header.Set("X-Request-Id", "req-1")
		tc.h.ServeHTTP(rec, r)
		h := rec.Header()
		if rec.Code != tc.status || h.Get("Content-Type") != tc.ct || h.Get("Allow") != tc.allow || h.Get("X-Request-Id") != tc.requestID {
			t.Errorf("%s %s: %d %q Allow %q id %q, want %d %q %q %q: %s", tc.method, tc.path, rec.Code, h.Get("Content-Type"),
				h.Get("Allow"), h.Get("X-Request-Id"), tc.status, tc.ct, tc.allow, tc.requestID, rec.Body)
		}
	}
}
