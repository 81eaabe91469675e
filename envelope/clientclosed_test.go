package envelope_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
)

// TestWriteErrorClientClosed: a store call cut short because the client
// closed (or half-closed) its connection is neither a 5xx nor an ERROR
// log line, in every dialect; with the request still alive, the same
// error stays a logged 503.
func TestWriteErrorClientClosed(t *testing.T) {
	storeErr := problem.ServiceUnavailable.Wrap(fmt.Errorf("sigredis: reserve: %w", context.Canceled), "retry later")
	for _, d := range []struct {
		name string
		d    envelope.Dialect
	}{{"standard", envelope.Standard()}, {"meta", envelope.Meta("v1")}, {"ack", envelope.Ack()}, {"records", envelope.Records()}, {"plain", envelope.Plain()}} {
		for _, cancelled := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/cancelled=%v", d.name, cancelled), func(t *testing.T) {
				var logs bytes.Buffer
				wr := envelope.New(d.d, envelope.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
				r := httptest.NewRequest("POST", "/referrals", nil)
				if cancelled {
					ctx, cancel := context.WithCancel(r.Context())
					cancel()
					r = r.WithContext(ctx)
				}
				w := httptest.NewRecorder()
				wr.WriteError(w, r, storeErr)
				wantStatus, wantLog := 503, true
				if cancelled {
					wantStatus, wantLog = 499, false
				}
				if w.Code != wantStatus {
					t.Fatalf("status %d, want %d: %s", w.Code, wantStatus, w.Body)
				}
				if got := logs.Len() > 0; got != wantLog {
					t.Fatalf("logged %v, want %v: %s", got, wantLog, logs.String())
				}
			})
		}
	}
}
