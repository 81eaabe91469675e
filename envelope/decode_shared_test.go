package envelope_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/idempotency"
	"github.com/apikit-go/apikit/problem"
)

type sharedIn struct {
	N int `json:"n"`
}

// serveKeyed runs h behind the idempotency middleware, which reads the
// body whole and hands the handler its buffered copy.
func serveKeyed(t *testing.T, body string, h http.HandlerFunc) *httptest.ResponseRecorder {
	t.Helper()
	store, err := idempotency.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m, err := idempotency.New(store, idempotency.WithScope(func(*http.Request) string { return "p" }))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	r.Header.Set("Idempotency-Key", "k1")
	w := httptest.NewRecorder()
	m.Handler(h).ServeHTTP(w, r)
	return w
}

// Decode takes a body the idempotency middleware buffered without reading
// it again, and still behaves as a read of what is left: bytes the handler
// read first are not decoded again, and the body is read to its end
// afterwards (a Seek back makes it readable again).
func TestDecodeBufferedBody(t *testing.T) {
	ran := false
	serveKeyed(t, `{"n":1} {"n":2}`, func(w http.ResponseWriter, r *http.Request) {
		ran = true
		head := make([]byte, 7)
		if _, err := io.ReadFull(r.Body, head); err != nil || string(head) != `{"n":1}` {
			t.Fatalf("first read: %q, %v", head, err)
		}
		v, err := envelope.Decode[sharedIn](r)
		if err != nil || v.N != 2 {
			t.Fatalf("Decode of the rest = %+v, %v; want n=2", v, err)
		}
		if n, err := r.Body.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("Read after Decode = %d, %v; want 0, EOF", n, err)
		}
		if _, err := r.Body.(io.Seeker).Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if all, _ := io.ReadAll(r.Body); string(all) != `{"n":1} {"n":2}` {
			t.Fatalf("body after Seek(0) = %q", all)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if !ran {
		t.Fatal("handler did not run")
	}
}

// The size limit applies to a buffered body too.
func TestDecodeBufferedBodyLimit(t *testing.T) {
	serveKeyed(t, `{"n":12345}`, func(w http.ResponseWriter, r *http.Request) {
		_, err := envelope.Decode[sharedIn](r, envelope.WithMaxBodyBytes(5))
		var p *problem.Problem
		if !errors.As(err, &p) || p.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("Decode over the limit: %v, want a 413 problem", err)
		}
	})
}

// Decoding a buffered body makes no copy of it: fewer allocations than
// the same body from a plain reader; a call without options allocates
// nothing for them.
func TestDecodeBufferedBodyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations (sync.Pool drops items at random under -race)")
	}
	body := `{"n":1}` + strings.Repeat(" ", 600)
	var buffered, plain float64
	serveKeyed(t, body, func(w http.ResponseWriter, r *http.Request) {
		seeker := r.Body.(io.Seeker)
		buffered = testing.AllocsPerRun(50, func() {
			_, _ = seeker.Seek(0, io.SeekStart)
			if _, err := envelope.Decode[sharedIn](r); err != nil {
				t.Fatal(err)
			}
		})
	})
	r := httptest.NewRequest("POST", "/", nil)
	rd := strings.NewReader(body)
	r.Body = io.NopCloser(rd)
	plain = testing.AllocsPerRun(50, func() {
		rd.Reset(body)
		if _, err := envelope.Decode[sharedIn](r); err != nil {
			t.Fatal(err)
		}
	})
	if buffered >= plain {
		t.Fatalf("Decode of a buffered body: %v allocations, of a plain one %v: want fewer", buffered, plain)
	}
	// The value, encoding/json's decoder and its buffer, and its own
	// allocations; no options given, none for them.
	if buffered > 8 {
		t.Fatalf("Decode of a buffered body without options: %v allocations, want at most 8", buffered)
	}
}
