package signature_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/problem"
	"github.com/apikit-go/apikit/signature"
)

// TestHandlerClientClosed: a signed request whose client has closed (or
// half-closed) its connection makes the replay store's call fail with
// context.Canceled. That is not a server failure: the answer is 499, no
// 5xx and no log line, and the message id is not spent, so the sender's
// retry is accepted.
func TestHandlerClientClosed(t *testing.T) {
	body := `{"event":"referral.created"}`
	var logs bytes.Buffer
	ew := problem.Writer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	v := mustVerifier(t, signature.StandardWebhooks(), []string{vecSecret},
		signature.WithClock(fixedClock(vecTime)), signature.WithReplayProtection(), signature.WithErrorWriter(ew))
	s := mustSigner(t, signature.StandardWebhooks(), []string{vecSecret}, signature.WithClock(fixedClock(vecTime)))
	ran := 0
	h := v.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran++ }))
	request := func(ctx context.Context) *http.Request {
		r := httptest.NewRequestWithContext(ctx, "POST", "/hooks", strings.NewReader(body))
		if err := s.Sign(r.Header, vecMsgID, vecTime, []byte(body)); err != nil {
			t.Fatal(err)
		}
		return r
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request(ctx))
	if w.Code != 499 || ran != 0 {
		t.Fatalf("client gone: status %d, handler ran %d times, want 499 and 0: %s", w.Code, ran, w.Body)
	}
	if logs.Len() > 0 {
		t.Fatalf("logged: %s", logs.String())
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, request(context.Background()))
	if w.Code != 200 || ran != 1 {
		t.Fatalf("retry: status %d, handler ran %d times, want 200 and 1: %s", w.Code, ran, w.Body)
	}
}
