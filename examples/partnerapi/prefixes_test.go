package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
)

// The groups are found by prefix without the root mux; every path the mux
// would clean or match escaped still goes through it, so the answers are
// the mux's: a redirect to the clean path, a 404 outside the groups.
func TestPrefixesAnswerAsTheMux(t *testing.T) {
	s, err := newServer(context.Background(), config{
		Rate: "1000/1m", SigningSecret: DemoSigningSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		method, target string
		auth           bool
		status         int
		location       string
	}{
		{"GET", "/api/v1/patients", true, 200, ""},
		{"GET", "/api/v1/patients", false, 401, ""},
		{"GET", "/healthz", false, 200, ""},
		{"GET", "/api/v1/../healthz", false, 307, "/api/healthz"},
		{"GET", "/api/v1/./patients", false, 307, "/api/v1/patients"},
		{"GET", "//api/v1/patients", false, 307, "/api/v1/patients"},
		{"GET", "/api/v1//patients", false, 307, "/api/v1/patients"},
		{"GET", "/api%2Fv1/patients", false, 404, ""},
		{"GET", "/api/v1", false, 307, "/api/v1/"},
		{"GET", "/nowhere", false, 404, ""},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.auth {
			r.Header.Set("Authorization", "Bearer prefixes")
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != tc.status || w.Header().Get("Location") != tc.location {
			t.Errorf("%s %s: %d Location %q, want %d %q", tc.method, tc.target, w.Code, w.Header().Get("Location"), tc.status, tc.location)
		}
	}
}
