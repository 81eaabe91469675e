package signature_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

// echoHandler answers with the body it reads and the verified message id.
func echoHandler(t *testing.T) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := signature.FromContext(r.Context())
		if !ok {
			t.Error("no message in context")
		}
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		if r.ContentLength != int64(len(b)) {
			t.Errorf("ContentLength = %d, body %d bytes", r.ContentLength, len(b))
		}
		w.Header().Set("Message-Id", m.ID)
		_, _ = w.Write(b)
	})
}

func TestMiddleware(t *testing.T) {
	body := `{"event":"referral.created"}`
	signed := func(secret string, skew time.Duration) func(*http.Request) {
		return func(r *http.Request) {
			s := mustSigner(t, signature.StandardWebhooks(), []string{secret}, signature.WithClock(fixedClock(vecTime.Add(skew))))
			r.Header.Set("webhook-id", "msg_mw")
			if err := s.SignRequest(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name     string
		body     string
		chunked  bool
		prepare  func(*http.Request)
		status   int
		wantCode string
	}{
		{name: "valid", body: body, prepare: signed(secretA, 0), status: 200},
		{name: "valid empty body", body: "", prepare: signed(secretA, 0), status: 200},
		{name: "missing signature", body: body, prepare: func(*http.Request) {}, status: 401, wantCode: "auth/missing-signature"},
		{name: "wrong secret", body: body, prepare: signed(secretB, 0), status: 401, wantCode: "auth/invalid-signature"},
		{name: "tampered body", body: body, prepare: func(r *http.Request) {
			signed(secretA, 0)(r)
			r.Body = io.NopCloser(strings.NewReader(body + " "))
		}, status: 401, wantCode: "auth/invalid-signature"},
		{name: "old timestamp", body: body, prepare: signed(secretA, -time.Hour), status: 401, wantCode: "auth/timestamp-out-of-tolerance"},
		{name: "body over limit", body: strings.Repeat("x", 65), prepare: signed(secretA, 0), status: 413, wantCode: "validation/request-too-large"},
		{name: "chunked body over limit", body: strings.Repeat("x", 65), chunked: true, prepare: signed(secretA, 0), status: 413, wantCode: "validation/request-too-large"},
		{name: "chunked body at limit", body: strings.Repeat("x", 64), chunked: true, prepare: signed(secretA, 0), status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA},
				signature.WithClock(fixedClock(vecTime)), signature.WithMaxBodyBytes(64))
			r := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(tt.body))
			tt.prepare(r)
			if tt.chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(strings.NewReader(tt.body))
			}
			w := httptest.NewRecorder()
			v.Handler(echoHandler(t)).ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.status == 200 {
				if w.Body.String() != tt.body {
					t.Fatalf("handler read %q, want %q", w.Body, tt.body)
				}
				if got := w.Header().Get("Message-Id"); got != "msg_mw" {
					t.Fatalf("message id = %q", got)
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			if got, want := w.Header().Get("WWW-Authenticate"), map[bool]string{true: "Webhook-Signature"}[tt.status == 401]; got != want {
				t.Fatalf("WWW-Authenticate = %q, want %q", got, want)
			}
			var doc map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc["code"] != tt.wantCode || doc["status"] != float64(tt.status) {
				t.Fatalf("problem = %v, want code %s", doc, tt.wantCode)
			}
			if sig := r.Header.Get("webhook-signature"); sig != "" && strings.Contains(w.Body.String(), strings.TrimPrefix(sig, "v1,")) {
				t.Fatalf("response reveals the signature: %s", w.Body)
			}
		})
	}
}

func TestMiddlewareNeverRevealsExpectedSignature(t *testing.T) {
	body := []byte(`{"amount":100}`)
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(fixedClock(vecTime)))
	good := http.Header{}
	if err := s.Sign(good, "msg_x", vecTime, body); err != nil {
		t.Fatal(err)
	}
	expected := strings.TrimPrefix(good.Get("webhook-signature"), "v1,")
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(fixedClock(vecTime)))
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header = good.Clone()
	r.Header.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=")
	w := httptest.NewRecorder()
	v.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	if w.Code != 401 || strings.Contains(w.Body.String(), expected) {
		t.Fatalf("status %d, body %s (expected signature %s must not appear)", w.Code, w.Body, expected)
	}
	for k, vals := range w.Header() {
		for _, val := range vals {
			if strings.Contains(val, expected) {
				t.Fatalf("header %s reveals the expected signature", k)
			}
		}
	}
}

func TestMiddlewareReplay(t *testing.T) {
	v := mustVerifier(t, signature.Stripe("X-ICP-Signature"), []string{stripeA},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection())
	s := mustSigner(t, signature.Stripe("X-ICP-Signature"), []string{stripeA}, signature.WithClock(fixedClock(vecTime)))
	h := v.Handler(echoHandler(t))
	var header http.Header
	for i, want := range []int{200, 401} {
		r := httptest.NewRequest(http.MethodPost, "/referrals", strings.NewReader(`{"a":1}`))
		if header == nil {
			if err := s.SignRequest(r); err != nil {
				t.Fatal(err)
			}
			header = r.Header.Clone()
		} else {
			r.Header = header.Clone()
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Fatalf("delivery %d: status %d, want %d", i, w.Code, want)
		}
		if want == 401 && !strings.Contains(w.Body.String(), `"auth/replayed-request"`) {
			t.Fatalf("body = %s", w.Body)
		}
	}
}

func TestMiddlewareErrorWriter(t *testing.T) {
	var got error
	ew := problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		w.WriteHeader(problem.From(err).StatusCode())
	})
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA}, signature.WithErrorWriter(ew))
	w := httptest.NewRecorder()
	v.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
	if w.Code != 401 || got == nil {
		t.Fatalf("status %d, error %v", w.Code, got)
	}
	wantProblem(t, got, signature.MissingSignature)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestVerifyRequestBody(t *testing.T) {
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA}, signature.WithMaxBodyBytes(8))
	t.Run("unreadable body is a 400", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(errReader{}))
		r.ContentLength = -1
		_, err := v.VerifyRequest(r)
		wantProblem(t, err, problem.InvalidRequest)
	})
	t.Run("MaxBytesReader limit is a 413", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader("0123456789")), 4)
		r.ContentLength = -1
		_, err := v.VerifyRequest(r)
		wantProblem(t, err, problem.RequestTooLarge)
	})
	t.Run("body over limit stays readable", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader("0123456789")))
		r.ContentLength = -1
		_, err := v.VerifyRequest(r)
		wantProblem(t, err, problem.RequestTooLarge)
		b, _ := io.ReadAll(r.Body)
		if string(b) != "0123456789" {
			t.Fatalf("body after 413 = %q", b)
		}
	})
	t.Run("body is restored with GetBody", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("01234567"))
		_, err := v.VerifyRequest(r)
		wantProblem(t, err, signature.MissingSignature)
		for i := range 2 {
			rc, err := r.GetBody()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			if string(b) != "01234567" {
				t.Fatalf("GetBody %d = %q", i, b)
			}
		}
		b, _ := io.ReadAll(r.Body)
		if string(b) != "01234567" {
			t.Fatalf("Body = %q", b)
		}
	})
}

func TestFromContextEmpty(t *testing.T) {
	if m, ok := signature.FromContext(httptest.NewRequest("GET", "/", nil).Context()); ok || m.ID != "" {
		t.Fatalf("FromContext on a bare context = %+v, %v", m, ok)
	}
}

// Without WithErrorWriter the middleware answers with the writer in the
// request's context; the explicit option wins over it.
func TestMiddlewareErrorWriterFromContext(t *testing.T) {
	writer := func(name string) problem.ErrorWriter {
		return problem.ErrorWriterFunc(func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Writer", name)
			w.Header().Set("WWW-Authenticate", "Bearer") // a writer's default challenge is replaced
			w.WriteHeader(problem.From(err).StatusCode())
		})
	}
	for _, tt := range []struct {
		name     string
		opts     []signature.Option
		inCtx    problem.ErrorWriter
		want     string
		wantType string
	}{
		{name: "context", inCtx: writer("context"), want: "context"},
		{name: "explicit wins", opts: []signature.Option{signature.WithErrorWriter(writer("explicit"))}, inCtx: writer("context"), want: "explicit"},
		{name: "none: RFC 9457", wantType: "application/problem+json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, signature.Stripe("X-ICP-Signature"), []string{stripeA}, tt.opts...)
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r = r.WithContext(problem.ContextWithWriter(r.Context(), tt.inCtx))
			w := httptest.NewRecorder()
			v.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
			if w.Code != 401 || w.Header().Get("Writer") != tt.want {
				t.Fatalf("status %d, writer %q, want 401 by %q", w.Code, w.Header().Get("Writer"), tt.want)
			}
			if tt.wantType != "" && w.Header().Get("Content-Type") != tt.wantType {
				t.Fatalf("Content-Type = %q", w.Header().Get("Content-Type"))
			}
			if got := w.Header().Get("WWW-Authenticate"); got != "X-ICP-Signature" {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
		})
	}
}

func TestOptionTargets(t *testing.T) {
	if _, err := signature.NewSigner(signature.StandardWebhooks(), []string{secretA}, signature.WithMaxEntries(5)); err == nil ||
		!strings.Contains(err.Error(), "WithMaxEntries does not apply to a signer") {
		t.Fatalf("NewSigner(WithMaxEntries) err = %v", err)
	}
	if _, err := signature.NewMemoryStore(signature.WithTolerance(time.Minute)); err == nil {
		t.Fatal("NewMemoryStore(WithTolerance) accepted")
	}
	if _, err := signature.NewMemoryStore(signature.WithMaxEntries(0)); err == nil {
		t.Fatal("NewMemoryStore(WithMaxEntries(0)) accepted")
	}
	if _, err := signature.NewVerifier(signature.StandardWebhooks(), []string{secretA}, signature.WithTolerance(31*24*time.Hour)); err == nil {
		t.Fatal("a 31-day tolerance was accepted")
	}
}
