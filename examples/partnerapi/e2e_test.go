package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/signature"
)

// TestEndToEnd starts the demo on a free port and exercises every route
// and error over real HTTP: with the in-memory stores, and again with Redis
// and PostgreSQL when APIKIT_REDIS_URL / APIKIT_POSTGRES_URL are set (as
// .ci/run sets them).
func TestEndToEnd(t *testing.T) {
	backends := []struct {
		name string
		cfg  func(*config)
		env  string
	}{
		{"memory", func(*config) {}, ""},
		{"redis", func(c *config) { c.RedisURL = os.Getenv("APIKIT_REDIS_URL") }, "APIKIT_REDIS_URL"},
		{"postgres", func(c *config) { c.PostgresURL = os.Getenv("APIKIT_POSTGRES_URL") }, "APIKIT_POSTGRES_URL"},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if b.env != "" && os.Getenv(b.env) == "" {
				t.Skipf("set %s to run the end-to-end test against it (bash .ci/run does)", b.env)
			}
			cfg := config{Rate: "1000/1m", SigningSecret: DemoSigningSecret}
			b.cfg(&cfg)
			c := start(t, cfg)
			// Partners are unique per run so shared stores start empty for us.
			c.partner = "e2e-" + b.name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			t.Run("health and auth", c.testHealthAndAuth)
			t.Run("standard patients", c.testStandardPatients)
			t.Run("routes", c.testRoutes)
			t.Run("lists", c.testLists)
			t.Run("idempotency", c.testIdempotency)
			t.Run("referrals", c.testReferrals)
			t.Run("prescriptions", c.testPrescriptions)
		})
	}
}

func TestRateLimit(t *testing.T) {
	c := start(t, config{Rate: "3/1m", SigningSecret: DemoSigningSecret})
	c.partner = "limited"
	for i := 3; i > 0; i-- {
		res := c.do("GET", "/api/v1/patients", nil, nil)
		c.status(res, 200)
		if got := res.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(i-1) {
			t.Fatalf("X-RateLimit-Remaining = %q, want %d", got, i-1)
		}
	}
	for _, path := range []string{"/api/v1/patients", "/v2/patients", "/functions/v1/referrals/ref_x", "/partner/prescriptions"} {
		method := "GET"
		if strings.HasPrefix(path, "/partner") {
			method = "POST"
		}
		res := c.do(method, path, nil, nil)
		c.status(res, 429)
		ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 60 {
			t.Fatalf("%s: Retry-After %q", path, res.Header.Get("Retry-After"))
		}
		body := c.body(res)
		// The 429 is in the route's own dialect.
		for prefix, want := range map[string]string{"/api": `"success":false`, "/v2": `"status":429`, "/functions": `"code":"rate-limit/exceeded"`, "/partner": `"responseType":"ERROR"`} {
			if strings.HasPrefix(path, prefix) && !strings.Contains(body, want) {
				t.Fatalf("%s: 429 body %s lacks %s", path, body, want)
			}
		}
	}
	// Another partner has its own limit.
	c.partner = "other"
	c.status(c.do("GET", "/api/v1/patients", nil, nil), 200)
}

type client struct {
	t       *testing.T
	base    string
	partner string
	http    *http.Client
	signer  *signature.Signer
}

// start runs the server as main does, on a free port, until the test ends.
func start(t *testing.T, cfg config) *client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := newServer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := newHTTPServer(srv, cfg.Logger)
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		_ = hs.Shutdown(context.Background())
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		srv.Close()
		cancel()
	})
	signer, err := signature.NewSigner(signature.StandardWebhooks(), []string{cfg.SigningSecret})
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: "http://" + ln.Addr().String(), http: &http.Client{Timeout: 10 * time.Second}, signer: signer}
}

// do sends a request as the client's partner; header pairs follow.
func (c *client) do(method, path string, body any, header map[string]string) *http.Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.partner != "" {
		req.Header.Set("Authorization", "Bearer "+c.partner)
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { res.Body.Close() })
	if res.Header.Get("X-Request-Id") == "" {
		c.t.Fatalf("%s %s: no X-Request-Id", method, path)
	}
	if c.partner != "" && res.StatusCode != 401 && res.Header.Get("X-RateLimit-Limit") == "" {
		c.t.Fatalf("%s %s: authenticated response without X-RateLimit-Limit", method, path)
	}
	return res
}

func (c *client) status(res *http.Response, want int) {
	c.t.Helper()
	if res.StatusCode != want {
		b, _ := io.ReadAll(res.Body)
		c.t.Fatalf("%s %s: status %d, want %d: %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, b)
	}
}

func (c *client) body(res *http.Response) string {
	c.t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// json decodes the body into a generic value and returns it.
func (c *client) json(res *http.Response) map[string]any {
	c.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(c.body(res)), &m); err != nil {
		c.t.Fatalf("body is not a JSON object: %v", err)
	}
	return m
}

// get walks a path of object keys and array indexes through a decoded body.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func (c *client) expect(what string, got, want any) {
	c.t.Helper()
	if got != want {
		c.t.Fatalf("%s = %#v, want %#v", what, got, want)
	}
}

var validPatient = map[string]any{
	"family_name": "Smith", "given_name": "John", "date_of_birth": "1990-01-15", "sex": "M",
	"ihi_number": "8003608166690503", "medicare_number": "1234567890",
}

func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func (c *client) createPatient(body map[string]any) string {
	c.t.Helper()
	res := c.do("POST", "/api/v1/patients", body, nil)
	c.status(res, 201)
	m := c.json(res)
	id, _ := get(m, "data", "patient_id").(string)
	if !strings.HasPrefix(id, "pat_") || res.Header.Get("Location") != "/api/v1/patients/"+id {
		c.t.Fatalf("created %v with Location %q", m, res.Header.Get("Location"))
	}
	return id
}

func (c *client) testHealthAndAuth(t *testing.T) {
	c.t = t
	partner := c.partner
	defer func() { c.partner = partner }()
	c.partner = ""
	c.status(c.do("GET", "/healthz", nil, nil), 200)
	res := c.do("GET", "/api/v1/patients", nil, nil)
	c.status(res, 401)
	c.expect("missing token type", get(c.json(res), "error", "type"), "https://parchment.health/errors/authentication-required")
	for _, auth := range []string{"Bearer ", "Bearer bad token", "Basic YWxhZGRpbjpvcGVu", "Bearer " + strings.Repeat("a", 129), "Bearer ünïcode", "acme"} {
		res := c.do("GET", "/api/v1/patients", nil, map[string]string{"Authorization": auth})
		c.status(res, 401)
		c.expect("malformed token type "+auth, get(c.json(res), "error", "type"), "https://parchment.health/errors/invalid-token")
		c.expect("malformed token challenge "+auth, res.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`)
	}
	c.expect("missing token challenge", res.Header.Get("WWW-Authenticate"), "Bearer")
	res = c.do("GET", "/functions/v1/referrals/x", nil, nil)
	c.status(res, 401)
	c.expect("meta 401 code", get(c.json(res), "error", "code"), "auth/authentication-required")
	c.expect("meta 401 challenge", res.Header.Get("WWW-Authenticate"), "Bearer")
	// An inbound request ID of a safe alphabet is echoed; others are replaced.
	res = c.do("GET", "/healthz", nil, map[string]string{"X-Request-Id": "trace-42"})
	c.expect("echoed request id", res.Header.Get("X-Request-Id"), "trace-42")
	res = c.do("GET", "/healthz", nil, map[string]string{"X-Request-Id": "<script>"})
	if res.Header.Get("X-Request-Id") == "<script>" {
		t.Fatal("an unsafe request id was echoed")
	}
}

func (c *client) testStandardPatients(t *testing.T) {
	c.t = t
	id := c.createPatient(with(validPatient, "partner_patient_id", "PARTNER#1"))

	res := c.do("GET", "/api/v1/patients/"+id, nil, nil)
	c.status(res, 200)
	m := c.json(res)
	c.expect("success", m["success"], true)
	c.expect("family_name", get(m, "data", "family_name"), "Smith")
	c.expect("requestId", m["requestId"], res.Header.Get("X-Request-Id"))

	// Another partner cannot see it.
	partner := c.partner
	c.partner = partner + "-other"
	c.status(c.do("GET", "/api/v1/patients/"+id, nil, nil), 404)
	c.partner = partner

	res = c.do("GET", "/api/v1/patients/pat_missing", nil, nil)
	c.status(res, 404)
	m = c.json(res)
	c.expect("404 type", get(m, "error", "type"), "https://parchment.health/errors/patient-not-found")
	c.expect("404 instance", get(m, "error", "instance"), "/api/v1/patients/pat_missing")

	res = c.do("POST", "/api/v1/patients", with(validPatient, "partner_patient_id", "PARTNER#1"), nil)
	c.status(res, 409)
	c.expect("409 type", get(c.json(res), "error", "type"), "https://parchment.health/errors/partner-patient-id-conflict")

	tests := []struct {
		name   string
		body   any
		status int
		field  string
		code   string
	}{
		{"missing family name", with(validPatient, "family_name", nil), 422, "family_name", "VALIDATION_ERROR"},
		{"missing sex", with(validPatient, "sex", nil), 422, "sex", "VALIDATION_ERROR"},
		{"bad date", with(validPatient, "date_of_birth", "15/01/1990"), 422, "date_of_birth", "INVALID_FORMAT"},
		{"future date", with(validPatient, "date_of_birth", time.Now().AddDate(1, 0, 0).Format(time.DateOnly)), 422, "date_of_birth", "INVALID_FORMAT"},
		{"bad sex", with(validPatient, "sex", "Q"), 422, "sex", "INVALID_FORMAT"},
		{"short ihi", with(validPatient, "ihi_number", "123"), 422, "ihi_number", "INVALID_FORMAT"},
		{"letters in medicare", with(validPatient, "medicare_number", "12345abcde"), 422, "medicare_number", "INVALID_FORMAT"},
		{"wrong type", with(validPatient, "sex", 7), 422, "sex", "INVALID_TYPE"},
		{"malformed JSON", `{"family_name":`, 400, "", ""},
		{"trailing data", `{} {}`, 400, "", ""},
		{"over 1 MiB", `{"family_name":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			res := c.do("POST", "/api/v1/patients", tt.body, nil)
			c.status(res, tt.status)
			m := c.json(res)
			c.expect("success", m["success"], false)
			c.expect("statusCode", m["statusCode"], float64(tt.status))
			if tt.field == "" {
				return
			}
			found := false
			for _, v := range get(m, "error", "validation").([]any) {
				if get(v, "field") == tt.field && get(v, "code") == tt.code {
					found = true
				}
			}
			if !found {
				t.Fatalf("no %s entry for %s in %v", tt.code, tt.field, m)
			}
		})
	}
	c.t = t

	res = c.do("DELETE", "/api/v1/patients/"+id, nil, nil)
	c.status(res, 204)
	if c.body(res) != "" {
		t.Fatal("204 with a body")
	}
	c.status(c.do("GET", "/api/v1/patients/"+id, nil, nil), 404)
	c.status(c.do("DELETE", "/api/v1/patients/"+id, nil, nil), 404)
}

func (c *client) testLists(t *testing.T) {
	c.t = t
	partner := c.partner
	c.partner = partner + "-lists"
	defer func() { c.partner = partner }()
	var ids []string
	for i := 0; i < 12; i++ {
		ids = append(ids, c.createPatient(with(validPatient, "given_name", "P"+strconv.Itoa(i))))
	}

	// Standard style: default limit 50, walk with lastKey.
	res := c.do("GET", "/api/v1/patients", nil, nil)
	c.status(res, 200)
	m := c.json(res)
	c.expect("default limit", get(m, "pagination", "limit"), 50.0)
	c.expect("count", get(m, "pagination", "count"), 12.0)
	c.expect("lastKey", get(m, "pagination", "lastKey"), nil)
	var seen []string
	next := ""
	for pages := 0; ; pages++ {
		q := "/api/v1/patients?limit=5"
		if next != "" {
			q += "&lastKey=" + url.QueryEscape(next)
		}
		m := c.json(c.do("GET", q, nil, nil))
		for _, p := range get(m, "data").([]any) {
			seen = append(seen, get(p, "patient_id").(string))
		}
		k, _ := get(m, "pagination", "lastKey").(string)
		if get(m, "pagination", "hasNext") != (k != "") {
			t.Fatalf("hasNext and lastKey disagree: %v", m["pagination"])
		}
		if k == "" {
			break
		}
		next = k
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	c.expect("standard walk", strings.Join(seen, ","), strings.Join(ids, ","))
	m = c.json(c.do("GET", "/api/v1/patients?limit=5&offset=10", nil, nil))
	c.expect("offset page", get(m, "data", 0, "patient_id"), ids[10])
	c.expect("offset", get(m, "pagination", "offset"), 10.0)

	// Records style: default limit 10, starting_after / ending_before.
	res = c.do("GET", "/v2/patients", nil, nil)
	c.status(res, 200)
	m = c.json(res)
	c.expect("records default page", len(m["records"].([]any)), 10)
	c.expect("has_more", m["has_more"], true)
	c.expect("first_id", m["first_id"], ids[0])
	c.expect("last_id", m["last_id"], ids[9])
	if !strings.Contains(res.Header.Get("Link"), `rel="next"`) {
		t.Fatalf("no next Link: %q", res.Header.Get("Link"))
	}
	m = c.json(c.do("GET", "/v2/patients?starting_after="+ids[9], nil, nil))
	c.expect("next page first", m["first_id"], ids[10])
	c.expect("next page has_more", m["has_more"], false)
	m = c.json(c.do("GET", "/v2/patients?limit=3&ending_before="+ids[5], nil, nil))
	c.expect("previous page first", m["first_id"], ids[2])
	c.expect("previous page last", m["last_id"], ids[4])

	other := c.partner
	c.partner = other + "-empty"
	m = c.json(c.do("GET", "/v2/patients", nil, nil))
	if string(mustJSON(m["records"])) != "[]" || m["first_id"] != nil {
		t.Fatalf("empty list: %v", m)
	}
	c.partner = other

	for _, q := range []string{
		"/api/v1/patients?limit=0", "/api/v1/patients?limit=101", "/api/v1/patients?limit=abc", "/api/v1/patients?limit=1.5",
		"/api/v1/patients?limit=%2B5", "/api/v1/patients?limit=1&limit=2", "/api/v1/patients?lastKey=forged",
		"/api/v1/patients?lastKey=" + url.QueryEscape(next) + "&offset=5",
		"/v2/patients?limit=101", "/v2/patients?starting_after=" + ids[0] + "&ending_before=" + ids[1],
		"/v2/patients?starting_after=pat_unknown",
	} {
		res := c.do("GET", q, nil, nil)
		c.status(res, 400)
	}
	// A cursor is bound to its partner.
	c.partner = other + "-thief"
	c.status(c.do("GET", "/api/v1/patients?lastKey="+url.QueryEscape(next), nil, nil), 400)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func (c *client) testIdempotency(t *testing.T) {
	c.t = t
	key := map[string]string{"Idempotency-Key": "create-" + c.partner}
	body := with(validPatient, "partner_patient_id", "IDEM#1")
	first := c.do("POST", "/api/v1/patients", body, key)
	c.status(first, 201)
	firstBody := c.body(first)
	again := c.do("POST", "/api/v1/patients", body, key)
	c.status(again, 201)
	c.expect("replayed header", again.Header.Get("Idempotent-Replayed"), "true")
	c.expect("replayed body", c.body(again), firstBody)
	c.status(c.do("POST", "/api/v1/patients", with(body, "given_name", "Jane"), key), 422)
	// Without a key the request simply runs (here: a conflict).
	c.status(c.do("POST", "/api/v1/patients", body, nil), 409)
}

func (c *client) signed(body []byte, key string) map[string]string {
	h := http.Header{}
	if err := c.signer.Sign(h, signature.NewMessageID(), time.Now(), body); err != nil {
		c.t.Fatal(err)
	}
	out := map[string]string{"Idempotency-Key": key}
	for k := range h {
		out[k] = h.Get(k)
	}
	return out
}

func (c *client) testReferrals(t *testing.T) {
	c.t = t
	patient := c.createPatient(validPatient)
	body, _ := json.Marshal(map[string]any{"patient_id": patient, "reason": "Cardiology review", "urgency": "urgent"})
	key := "6f1c3a2e-5b7d-4c8e-9a1f-2b3c4d5e6f70"

	res := c.do("POST", "/functions/v1/referrals", body, c.signed(body, key))
	c.status(res, 201)
	m := c.json(res)
	c.expect("version", get(m, "meta", "version"), "2025-01-01")
	c.expect("meta requestId", get(m, "meta", "requestId"), res.Header.Get("X-Request-Id"))
	c.expect("status", get(m, "data", "status"), "received")
	c.expect("patient", get(m, "data", "patient_id"), patient)
	id := get(m, "data", "referral_id").(string)

	// The same key and body, signed again (a new message), is replayed.
	res = c.do("POST", "/functions/v1/referrals", body, c.signed(body, key))
	c.status(res, 201)
	c.expect("replayed", res.Header.Get("Idempotent-Replayed"), "true")
	c.expect("same referral", get(c.json(res), "data", "referral_id"), id)

	m = c.json(c.do("GET", "/functions/v1/referrals/"+id, nil, nil))
	c.expect("get referral", get(m, "data", "referral_id"), id)
	res = c.do("GET", "/functions/v1/referrals/ref_missing", nil, nil)
	c.status(res, 404)
	c.expect("404 code", get(c.json(res), "error", "code"), "referrals/not-found")

	unknown, _ := json.Marshal(map[string]any{"patient_id": "pat_missing", "reason": "x", "urgency": "routine"})
	res = c.do("POST", "/functions/v1/referrals", unknown, c.signed(unknown, "0b6a9c1e-2d3f-4a5b-8c7d-9e0f1a2b3c4d"))
	c.status(res, 422)
	c.expect("unknown patient code", get(c.json(res), "error", "code"), "referrals/unknown-patient")

	invalid, _ := json.Marshal(map[string]any{"patient_id": patient, "reason": "", "urgency": "whenever"})
	res = c.do("POST", "/functions/v1/referrals", invalid, c.signed(invalid, "1b6a9c1e-2d3f-4a5b-8c7d-9e0f1a2b3c4d"))
	c.status(res, 422)
	c.expect("validation code", get(c.json(res), "error", "code"), "validation/failed")

	tests := []struct {
		name   string
		header map[string]string
		status int
		code   string
	}{
		{"no idempotency key", with2(c.signed(body, key), "Idempotency-Key", ""), 400, "idempotency/missing-key"},
		{"key not a UUID v4", c.signed(body, "ref_12345"), 400, "idempotency/invalid-key"},
		{"no signature", map[string]string{"Idempotency-Key": key}, 401, "auth/missing-signature"},
		{"wrong signature", with2(c.signed(body, key), "Webhook-Signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), 401, "auth/invalid-signature"},
		{"old timestamp", with2(c.signed(body, key), "Webhook-Timestamp", strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)), 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			res := c.do("POST", "/functions/v1/referrals", body, tt.header)
			c.status(res, tt.status)
			if tt.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			code, _ := get(c.json(res), "error", "code").(string)
			if tt.code != "" && code != tt.code {
				t.Fatalf("code %q, want %q", code, tt.code)
			}
			if !strings.HasPrefix(code, "auth/") && !strings.HasPrefix(code, "idempotency/") {
				t.Fatalf("unexpected code %q", code)
			}
		})
	}
}

func with2(h map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for kk, vv := range h {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func (c *client) testPrescriptions(t *testing.T) {
	c.t = t
	patient := c.createPatient(validPatient)
	meta := map[string]any{"requestID": "phil_request_1", "requestTimestamp": "2024-09-11T11:58:00Z"}
	res := c.do("POST", "/partner/prescriptions", map[string]any{
		"metadata":     meta,
		"prescription": map[string]any{"patient_id": patient, "medication": "Amoxicillin 500mg", "quantity": 20},
	}, nil)
	c.status(res, 200)
	m := c.json(res)
	c.expect("requestID echoed", m["requestID"], "phil_request_1")
	c.expect("responseType", get(m, "metadata", "responseType"), "CONFIRMED")
	if ref, _ := get(m, "metadata", "referenceID").(string); !strings.HasPrefix(ref, "rx_") {
		t.Fatalf("referenceID %v", get(m, "metadata", "referenceID"))
	}

	res = c.do("POST", "/partner/prescriptions", map[string]any{
		"metadata":     meta,
		"prescription": map[string]any{"patient_id": patient, "medication": "", "quantity": 0},
	}, nil)
	c.status(res, 200)
	m = c.json(res)
	c.expect("error responseType", get(m, "metadata", "responseType"), "ERROR")
	c.expect("error type", get(m, "error", "code"), "prescriptions/invalid")
	c.expect("requestID echoed on error", m["requestID"], "phil_request_1")

	res = c.do("POST", "/partner/prescriptions", map[string]any{
		"prescription": map[string]any{"patient_id": patient, "medication": "x", "quantity": 1},
	}, nil)
	c.status(res, 400)
	res = c.do("POST", "/partner/prescriptions", `{"metadata":`, nil)
	c.status(res, 400)
}

// testRoutes: unknown routes are 404s and known paths with the wrong
// method 405s with Allow, in the dialect of the route's group.
func (c *client) testRoutes(t *testing.T) {
	c.t = t
	res := c.do("DELETE", "/api/v1/patients", nil, nil)
	c.status(res, 405)
	c.expect("405 Allow", res.Header.Get("Allow"), "GET, HEAD, POST")
	c.expect("405 standard type", get(c.json(res), "error", "type"), "https://parchment.health/errors/method-not-allowed")
	res = c.do("GET", "/api/v1/nowhere", nil, nil)
	c.status(res, 404)
	c.expect("404 standard success", get(c.json(res), "success"), false)
	res = c.do("GET", "/functions/v1/nowhere", nil, nil)
	c.status(res, 404)
	c.expect("404 meta code", get(c.json(res), "error", "code"), "resource/not-found")
	res = c.do("GET", "/v2/nowhere", nil, nil)
	c.status(res, 404)
	c.expect("404 records content type", res.Header.Get("Content-Type"), "application/problem+json")
	res = c.do("GET", "/partner/nowhere", nil, nil)
	c.status(res, 404)
	c.expect("404 ack type", get(c.json(res), "metadata", "responseType"), "ERROR")
	partner := c.partner
	c.partner = "" // outside the authenticated, rate-limited groups
	res = c.do("GET", "/nowhere", nil, nil)
	c.partner = partner
	c.status(res, 404)
	c.expect("404 outside the groups", get(c.json(res), "success"), false)
}
