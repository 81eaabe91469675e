package problem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
)

// TestWriterClientClosed: a request whose own client cancelled it (its
// context is canceled and the error wraps context.Canceled) is answered
// 499 and logged by no one; anything else keeps its status.
func TestWriterClientClosed(t *testing.T) {
	storeErr := fmt.Errorf("store: claim: %w", context.Canceled)
	tests := []struct {
		name       string
		cancelled  bool
		err        error
		wantStatus int
		wantLog    bool
	}{
		{"store call cut by the client, inside a 503", true, ServiceUnavailable.Wrap(storeErr, "retry later"), 499, false},
		{"bare context.Canceled from a handler", true, storeErr, 499, false},
		{"a 4xx answer stays", true, ValidationFailed.New("bad"), 422, false},
		{"another failure of a cancelled request stays a 500", true, errors.New("boom"), 500, true},
		{"context.Canceled of another context, request alive", false, ServiceUnavailable.Wrap(storeErr, "retry later"), 503, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			pw := Writer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			r := httptest.NewRequest("POST", "/referrals", nil)
			if tt.cancelled {
				ctx, cancel := context.WithCancel(r.Context())
				cancel()
				r = r.WithContext(ctx)
			}
			w := httptest.NewRecorder()
			pw.WriteError(w, r, tt.err)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.wantStatus, w.Body)
			}
			if got := logs.Len() > 0; got != tt.wantLog {
				t.Fatalf("logged %v, want %v: %s", got, tt.wantLog, logs.String())
			}
			if tt.wantStatus == 499 && !bytes.Contains(w.Body.Bytes(), []byte(`"code":"internal/client-closed-request"`)) {
				t.Fatalf("body %s", w.Body)
			}
		})
	}
}
