package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apikit-go/apikit/envelope"
)

// Every request gets one log line with the request ID of its response,
// and a panic is logged with the 500 the envelope middleware answers.
func TestLogLine(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	s, err := newServer(t.Context(), config{Rate: "1000/1m", SigningSecret: DemoSigningSecret, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wr := envelope.New(envelope.Standard(), envelope.WithLogger(slog.New(slog.DiscardHandler)))
	panicking := logRequests(logger, wr.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	for _, tc := range []struct {
		h      http.Handler
		path   string
		status int
	}{
		{s, "/api/v1/patients/nobody", 404},
		{s, "/healthz", 200},
		{s, "/nowhere", 404},
		{panicking, "/x", 500},
	} {
		buf.Reset()
		r := httptest.NewRequest("GET", tc.path, nil)
		r.Header.Set("Authorization", "Bearer logs")
		w := httptest.NewRecorder()
		tc.h.ServeHTTP(w, r)
		var line struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			Status    int    `json:"status"`
		}
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line.Msg != "request" {
			t.Fatalf("%s: log %q: %v", tc.path, buf.String(), err)
		}
		if id := w.Header().Get("X-Request-Id"); id == "" || line.RequestID != id || line.Status != tc.status || w.Code != tc.status {
			t.Errorf("%s: logged %+v, response %d %q; want status %d", tc.path, line, w.Code, id, tc.status)
		}
	}
}
