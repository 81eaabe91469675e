package signature_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
)

func TestRoundTrip(t *testing.T) {
	schemes := []struct {
		name    string
		scheme  signature.Scheme
		secrets []string
	}{
		{"standard one secret", signature.StandardWebhooks(), []string{signature.NewSecret()}},
		{"standard two secrets", signature.StandardWebhooks(), []string{signature.NewSecret(), signature.NewSecret()}},
		{"stripe one secret", signature.Stripe("X-ICP-Signature"), []string{"s3cr3t"}},
		{"stripe default header", signature.Stripe(""), []string{"whsec_used_as_is"}},
	}
	sizes := []int{0, 1, 100, 1024, 70_000}
	for _, sc := range schemes {
		for _, n := range sizes {
			t.Run(sc.name, func(t *testing.T) {
				body := make([]byte, n)
				_, _ = rand.Read(body)
				s := mustSigner(t, sc.scheme, sc.secrets)
				v := mustVerifier(t, sc.scheme, sc.secrets[len(sc.secrets)-1:])
				r := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(string(body)))
				if err := s.SignRequest(r); err != nil {
					t.Fatal(err)
				}
				m, err := v.VerifyRequest(r)
				if err != nil {
					t.Fatalf("VerifyRequest: %v", err)
				}
				if m.ID == "" || time.Since(m.Timestamp) > time.Minute {
					t.Fatalf("message = %+v", m)
				}
				got, _ := io.ReadAll(r.Body)
				if string(got) != string(body) {
					t.Fatal("body changed")
				}
			})
		}
	}
}

func TestSignRequest(t *testing.T) {
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(fixedClock(vecTime)))
	t.Run("generates an id when absent", func(t *testing.T) {
		ids := map[string]bool{}
		for range 50 {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
			if err := s.SignRequest(r); err != nil {
				t.Fatal(err)
			}
			id := r.Header.Get("webhook-id")
			if !strings.HasPrefix(id, "msg_") || len(id) != 30 || strings.ContainsAny(id, ".,") {
				t.Fatalf("id = %q", id)
			}
			if ids[id] {
				t.Fatalf("id %q repeated", id)
			}
			ids[id] = true
		}
	})
	t.Run("keeps an existing id", func(t *testing.T) {
		r, _ := http.NewRequest(http.MethodPost, "http://example.com/", strings.NewReader(vecPayload))
		r.Header.Set("webhook-id", vecMsgID)
		if err := s.SignRequest(r); err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("webhook-signature"); got != vecSignature {
			t.Fatalf("signature = %q, want the vector's %q", got, vecSignature)
		}
		rc, err := r.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		b2, _ := io.ReadAll(r.Body)
		if string(b) != vecPayload || string(b2) != vecPayload || r.ContentLength != int64(len(vecPayload)) {
			t.Fatalf("GetBody %q, Body %q, ContentLength %d", b, b2, r.ContentLength)
		}
	})
	t.Run("nil body and nil header", func(t *testing.T) {
		r := &http.Request{Method: http.MethodPost}
		if err := s.SignRequest(r); err != nil {
			t.Fatal(err)
		}
		if r.Header.Get("webhook-signature") == "" || r.ContentLength != 0 {
			t.Fatalf("header %v, ContentLength %d", r.Header, r.ContentLength)
		}
	})
	t.Run("id set by the caller", func(t *testing.T) {
		s := mustSigner(t, signature.StandardWebhooks(), []string{secretA})
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("webhook-id", "evt_42")
		if err := s.SignRequest(r); err != nil {
			t.Fatal(err)
		}
		if got := r.Header.Get("webhook-id"); got != "evt_42" {
			t.Fatalf("id = %q", got)
		}
	})
	t.Run("nil request", func(t *testing.T) {
		if err := s.SignRequest(nil); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestSignRejectsBadIDs(t *testing.T) {
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA})
	tests := []struct {
		name string
		id   string
	}{
		{"empty", ""},
		{"dot", "msg.1"},
		{"comma", "msg,1"},
		{"space", "msg 1"},
		{"newline", "msg\n1"},
		{"non-ascii", "msg_é"},
		{"too long", "msg_" + strings.Repeat("a", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Sign(http.Header{}, tt.id, vecTime, nil)
			if err == nil || !strings.HasPrefix(err.Error(), "signature: ") {
				t.Fatalf("err = %v", err)
			}
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("webhook-id", tt.id)
			if tt.id != "" && s.SignRequest(r) == nil {
				t.Fatal("SignRequest accepted the id")
			}
		})
	}
	if err := s.Sign(nil, "msg_1", vecTime, nil); err == nil {
		t.Fatal("nil header accepted")
	}
}

func TestTransport(t *testing.T) {
	for _, sc := range []struct {
		name   string
		scheme signature.Scheme
		secret string
	}{
		{"standard", signature.StandardWebhooks(), secretA},
		{"stripe", signature.Stripe("X-ICP-Signature"), stripeA},
	} {
		t.Run(sc.name, func(t *testing.T) {
			v := mustVerifier(t, sc.scheme, []string{sc.secret})
			srv := httptest.NewServer(v.Handler(echoHandler(t)))
			defer srv.Close()
			s := mustSigner(t, sc.scheme, []string{sc.secret})
			client := &http.Client{Transport: s.Transport(nil)}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, strings.NewReader(`{"event":"x"}`))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != `{"event":"x"}` {
				t.Fatalf("status %d body %s", resp.StatusCode, b)
			}
			if len(req.Header) != 0 {
				t.Fatalf("the caller's request was modified: %v", req.Header)
			}
		})
	}
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestTransportClosesBodyOnError(t *testing.T) {
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA})
	body := &closeRecorder{Reader: strings.NewReader("{}")}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", body)
	req.Header.Set("webhook-id", "bad.id")
	rt := s.Transport(http.DefaultTransport)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("no error for a bad id")
	}
	if !body.closed {
		t.Fatal("request body not closed")
	}
}

func TestNewSecret(t *testing.T) {
	a, b := signature.NewSecret(), signature.NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") || len(a) != len("whsec_")+44 {
		t.Fatalf("secrets %q, %q", a, b)
	}
	if _, err := signature.NewVerifier(signature.StandardWebhooks(), []string{a}); err != nil {
		t.Fatalf("NewSecret made a secret NewVerifier rejects: %v", err)
	}
}

func TestNilOptions(t *testing.T) {
	// A nil clock means time.Now; nil options are skipped.
	s := mustSigner(t, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(nil), nil)
	v := mustVerifier(t, signature.StandardWebhooks(), []string{secretA}, signature.WithClock(nil), nil, signature.WithErrorWriter(nil))
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
	if err := s.SignRequest(r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Header.Get("webhook-id"), "msg_") {
		t.Fatalf("id = %q", r.Header.Get("webhook-id"))
	}
	if _, err := v.VerifyRequest(r); err != nil {
		t.Fatalf("a request signed now did not verify with the real clock: %v", err)
	}
	w := httptest.NewRecorder()
	v.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", nil))
	if w.Code != 401 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("default error writer: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}
