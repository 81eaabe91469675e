package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
)

func TestReceiver(t *testing.T) {
	var out bytes.Buffer
	h, err := newHandler(demoSecret, 1, &out)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	std, err := signature.NewSigner(signature.StandardWebhooks(), []string{demoSecret})
	if err != nil {
		t.Fatal(err)
	}
	icp, err := signature.NewSigner(signature.Stripe("X-ICP-Signature"), []string{demoSecret})
	if err != nil {
		t.Fatal(err)
	}
	// post sends sent, signed over signed.
	post := func(path string, s *signature.Signer, signed, sent string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(sent))
		if err := s.Sign(req.Header, "msg_1", time.Now(), []byte(signed)); err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Webhook-Id", "msg_1")
		req.Header.Set("Webhook-Event", "test.event")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}

	for _, tt := range []struct {
		name   string
		path   string
		signer *signature.Signer
		sent   string
		status int
		line   string
	}{
		{"told to fail once", "/cb", std, "{}", 503, "POST /cb webhook-id=msg_1 event=test.event verified=true status=503\n{}\n"},
		{"standard webhooks", "/cb", std, "{}", 204, "POST /cb webhook-id=msg_1 event=test.event verified=true status=204\n{}\n"},
		{"x-icp-signature", "/hooks", icp, "{}", 204, "POST /hooks webhook-id=msg_1 event=test.event verified=true status=204\n{}\n"},
		{"tampered body", "/cb", std, `{"x":1}`, 401, "verified=false status=401"},
	} {
		out.Reset()
		res := post(tt.path, tt.signer, "{}", tt.sent)
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, res.StatusCode, tt.status)
		}
		if tt.status == 503 && res.Header.Get("Retry-After") != "1" {
			t.Errorf("%s: Retry-After %q", tt.name, res.Header.Get("Retry-After"))
		}
		if !strings.Contains(out.String(), tt.line) {
			t.Errorf("%s: printed %q, want %q", tt.name, out.String(), tt.line)
		}
	}
}
