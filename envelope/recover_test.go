package envelope_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/envelope"
)

func TestRecover(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		status    int
		rePanic   any
		wantInLog string
	}{
		{name: "panic becomes the dialect's 500",
			handler: func(http.ResponseWriter, *http.Request) { panic("secret: nil map in billing") },
			status:  500, wantInLog: "nil map in billing"},
		{name: "panic with an error",
			handler: func(http.ResponseWriter, *http.Request) { panic(errors.New("boom")) },
			status:  500, wantInLog: "recover_test.go"},
		{name: "abort handler passes through",
			handler: func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) },
			rePanic: http.ErrAbortHandler},
		{name: "panic after the response started aborts",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(200)
				_, _ = w.Write([]byte("partial"))
				panic("late")
			},
			rePanic: http.ErrAbortHandler, wantInLog: "late"},
		{name: "no panic", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201) }, status: 201},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wr, logs := newTestWriter(envelope.Meta("v1"))
			h := wr.RequestID(wr.Recover(tc.handler))
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("X-Request-Id", "req_panic")
			rec := httptest.NewRecorder()
			var got any
			func() {
				defer func() { got = recover() }()
				h.ServeHTTP(rec, req)
			}()
			if got != tc.rePanic {
				t.Fatalf("re-panic = %v, want %v", got, tc.rePanic)
			}
			if tc.status != 0 && rec.Code != tc.status {
				t.Errorf("status = %d, want %d", rec.Code, tc.status)
			}
			if tc.status == 500 {
				body := rec.Body.String()
				if !strings.HasPrefix(body, `{"error":{"code":"internal/error"`) || strings.Contains(body, "secret") || strings.Contains(body, "boom") {
					t.Errorf("body = %s", body)
				}
				if rec.Header().Get("X-Request-Id") != "req_panic" {
					t.Errorf("X-Request-Id = %q", rec.Header().Get("X-Request-Id"))
				}
				if !strings.Contains(logs.String(), "req_panic") || !strings.Contains(logs.String(), "stack=") {
					t.Errorf("log lacks the request ID or the stack: %s", logs)
				}
			}
			if tc.wantInLog != "" && !strings.Contains(logs.String(), tc.wantInLog) {
				t.Errorf("log lacks %q: %s", tc.wantInLog, logs)
			}
		})
	}
}
