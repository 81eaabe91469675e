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
		if problem.ContextWithWriter(ctx, wr) != ctx {
			t.Error("the context does not carry the Handler's writer")
		}
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
	if n > 4 {
		t.Errorf("Handler allocates %v times per request, want at most 4", n)
	}
}
