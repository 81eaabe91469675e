package problem

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWriterResponse(t *testing.T) {
	cat := mustCatalog("https://parchment.health/errors/")
	tests := []struct {
		name       string
		method     string
		accept     string
		err        error
		wantStatus int
		wantRetry  string
		wantBody   string
	}{
		{
			name: "not found, no Accept", method: "GET", err: patientNotFound.New("Patient with ID 'pat_invalid123' does not exist").WithInstance("/patients/pat_invalid123"),
			wantStatus: 404,
			wantBody: `{"type":"https://parchment.health/errors/patient-not-found","title":"Patient not found","status":404,` +
				`"detail":"Patient with ID 'pat_invalid123' does not exist","instance":"/patients/pat_invalid123","code":"patients/not-found"}`,
		},
		{
			name: "Accept application/json gets the same document", method: "GET", accept: "application/json",
			err: InvalidToken.New("x"), wantStatus: 401,
			wantBody: `{"type":"https://parchment.health/errors/invalid-token","title":"Invalid token","status":401,"detail":"x","code":"auth/invalid-token"}`,
		},
		{
			name: "Accept */*", method: "POST", accept: "*/*",
			err: RateLimitExceeded.New("slow down").WithRetryAfter(1200 * time.Millisecond), wantStatus: 429, wantRetry: "2",
			wantBody: `{"type":"https://parchment.health/errors/rate-limit-exceeded","title":"Rate limit exceeded","status":429,"detail":"slow down","code":"rate-limit/exceeded"}`,
		},
		{
			name: "HEAD has no body", method: "HEAD", err: patientNotFound.New("x"), wantStatus: 404,
		},
		{
			name: "plain error is a generic 500", method: "GET", err: errors.New("secret dsn=postgres://admin:pw@db"), wantStatus: 500,
			wantBody: `{"type":"https://parchment.health/errors/internal-error","title":"Internal server error","status":500,` +
				`"detail":"An unexpected error occurred while processing your request","code":"internal/error"}`,
		},
		{
			name: "unencodable extension is dropped, not a broken body", method: "GET",
			err: InvalidRequest.New("x").WithExtension("bad", func() {}), wantStatus: 400,
			wantBody: `{"type":"https://parchment.health/errors/invalid-request","title":"Invalid request","status":400,"detail":"x","code":"validation/invalid-request"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			w := Writer{Catalog: cat, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			r := httptest.NewRequest(tt.method, "/patients/x", nil)
			if tt.accept != "" {
				r.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			w.WriteError(rec, r, tt.err)
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if ct := res.Header.Get("Content-Type"); ct != ContentType {
				t.Fatalf("Content-Type %q", ct)
			}
			if got := res.Header.Get("Retry-After"); got != tt.wantRetry {
				t.Fatalf("Retry-After %q, want %q", got, tt.wantRetry)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatal("nosniff missing")
			}
			if tt.method != "HEAD" && rec.Body.String() != tt.wantBody {
				t.Fatalf("body\n got %s\nwant %s", rec.Body, tt.wantBody)
			}
			if tt.method == "HEAD" && rec.Body.Len() != 0 {
				t.Fatalf("HEAD got a body: %s", rec.Body)
			}
			if cl := res.Header.Get("Content-Length"); tt.method != "HEAD" && cl != strconv.Itoa(rec.Body.Len()) {
				t.Fatalf("Content-Length %s for %d bytes", cl, rec.Body.Len())
			}
			if tt.wantStatus >= 500 && !strings.Contains(logs.String(), "secret dsn") {
				t.Fatalf("the 5xx cause was not logged: %s", logs.String())
			}
			if tt.wantStatus < 500 && strings.Contains(tt.name, "unencodable") != strings.Contains(logs.String(), "encode_error") {
				t.Fatalf("unexpected logging: %s", logs.String())
			}
		})
	}
}

func TestWriteAndErrorWriterFunc(t *testing.T) {
	var ew ErrorWriter = ErrorWriterFunc(Write)
	rec := httptest.NewRecorder()
	ew.WriteError(rec, httptest.NewRequest("GET", "/", nil), AccessDenied.New("no"))
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), `"code":"auth/access-denied"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}
