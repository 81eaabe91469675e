package problem

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func response(status int, body string, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func TestParseDialects(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		header     []string
		wantIs     error
		wantCode   string
		wantDetail string
		wantFields int
		wantExt    map[string]any
	}{
		{
			name: "RFC 9457", status: 404,
			body:   `{"type":"https://api.example.com/errors/patient-not-found","title":"Patient not found","status":404,"detail":"gone","code":"patients/not-found","trace":"t1"}`,
			wantIs: patientNotFound, wantCode: "patients/not-found", wantDetail: "gone", wantExt: map[string]any{"trace": "t1"},
		},
		{
			name: "standard envelope (seeds/001) without code", status: 422,
			body: `{"success":false,"statusCode":422,"error":{"type":"https://parchment.health/errors/validation-error","title":"Validation failed",` +
				`"detail":"There were some problems with your input.","validation":[{"field":"family_name","message":"Family name is required","code":"VALIDATION_ERROR"},` +
				`{"field":"date_of_birth","message":"Invalid date format. Use YYYY-MM-DD","code":"INVALID_FORMAT"}]},"timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_1705312200000_jkl012"}`,
			wantIs: ValidationFailed, wantCode: "validation/failed", wantDetail: "There were some problems with your input.", wantFields: 2,
			wantExt: map[string]any{"requestId": "req_1705312200000_jkl012"},
		},
		{
			name: "meta dialect (seeds/004)", status: 409,
			body:     `{"error":{"code":"minutes/invalid-state","message":"Encounter already closed","details":{"encounterId":"enc_789","currentState":"resolved"}}}`,
			header:   []string{"X-Request-Id", "req_123"},
			wantIs:   MustDefine("minutes/invalid-state", 409, ""),
			wantCode: "minutes/invalid-state", wantDetail: "Encounter already closed",
			wantExt: map[string]any{"encounterId": "enc_789", "currentState": "resolved", "requestId": "req_123"},
		},
		{
			name: "meta dialect with field errors", status: 422,
			body:   `{"error":{"code":"validation/failed","message":"Invalid payload","details":{"fields":[{"field":"urgency","message":"Urgency is required","code":"VALIDATION_ERROR"}],"schema":"v1"}}}`,
			wantIs: ValidationFailed, wantCode: "validation/failed", wantDetail: "Invalid payload", wantFields: 1,
			wantExt: map[string]any{"schema": "v1"},
		},
		{
			name: "HTML from a proxy", status: 502, body: `<html><body>Bad Gateway</body></html>`,
		},
		{
			name: "empty body", status: 503, body: ``, header: []string{"Retry-After", "30"},
		},
		{
			name: "JSON that is not a problem", status: 400, body: `{"message":"nope"}`,
		},
		{
			name: "wrong-typed members ignored", status: 401,
			body:   `{"type":"https://parchment.health/errors/invalid-token","title":7,"status":"x","detail":null,"instance":{}}`,
			wantIs: InvalidToken, wantCode: "auth/invalid-token",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := response(tt.status, tt.body, tt.header...)
			p := Parse(resp)
			if p == nil {
				t.Fatal("nil problem")
			}
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d", p.Status, tt.status)
			}
			if tt.wantIs != nil && !errors.Is(p, tt.wantIs) {
				t.Fatalf("%v is not %v", p, tt.wantIs)
			}
			if p.Code != tt.wantCode || p.Detail != tt.wantDetail || len(p.Fields) != tt.wantFields {
				t.Fatalf("got code %q detail %q fields %v", p.Code, p.Detail, p.Fields)
			}
			for k, v := range tt.wantExt {
				if p.Extensions[k] != v {
					t.Fatalf("extension %s = %v, want %v (all: %v)", k, p.Extensions[k], v, p.Extensions)
				}
			}
			for _, k := range []string{"fields", "details", "message"} {
				if _, ok := p.Extensions[k]; ok {
					t.Fatalf("%q left in the extensions: %v", k, p.Extensions)
				}
			}
			if tt.wantCode == "" && p.TitleOrStatus() != http.StatusText(tt.status) {
				t.Fatalf("fallback title %q", p.TitleOrStatus())
			}
			rest, _ := io.ReadAll(resp.Body)
			if string(rest) != tt.body {
				t.Fatalf("body not restored: %q", rest)
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	if Parse(response(200, `{}`)) != nil || Parse(nil) != nil {
		t.Fatal("a success response parsed as a problem")
	}
	p := Parse(response(503, ``, "Retry-After", "30"))
	if p.RetryAfter != 30*time.Second || !p.Retryable {
		t.Fatalf("RetryAfter %v retryable %v", p.RetryAfter, p.Retryable)
	}
	c := mustCatalog("https://api.example.com/errors/")
	custom, _ := catalogDefine(c, "referrals/unknown-patient", 422, "Unknown patient", WithType("unknown-patient"))
	p = c.Parse(response(422, `{"type":"https://api.example.com/errors/unknown-patient","title":"Unknown patient","status":422}`))
	if p.Code != "referrals/unknown-patient" || !errors.Is(p, custom) {
		t.Fatalf("catalog parse: %+v", p)
	}
	p = c.Parse(response(422, `{"type":"https://api.example.com/errors/referrals/other","status":422}`))
	if p.Code != "" {
		t.Fatalf("unknown type got a code: %q", p.Code)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"-5", 0}, {"abc", 0}, {"120", 2 * time.Minute}, {" 7 ", 7 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzParseBody checks that any body parses without panicking into a
// problem whose status is the response's.
func FuzzParseBody(f *testing.F) {
	f.Add(404, []byte(`{"type":"https://x/patient-not-found","status":404}`))
	f.Add(422, []byte(`{"error":{"code":"a/b","message":"m","details":{"x":1},"validation":[{"field":"f"}]}}`))
	f.Add(500, []byte(`{"error":"string"}`))
	f.Add(400, []byte(`{"errors":[1,{"pointer":"#/a"}],"status":1e999}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 400 || status > 599 {
			status = 400 + (status%200+200)%200
		}
		p := parseBodyStd(status, body)
		if p == nil || p.Status != status {
			t.Fatalf("parseBodyStd(%d) = %+v", status, p)
		}
		if _, err := p.AppendJSON(nil); err != nil {
			t.Fatalf("a parsed problem does not render: %v", err)
		}
	})
}
