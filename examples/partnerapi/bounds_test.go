package main

import (
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// TestFieldLimits: every free-text field of every body the demo accepts
// is bounded; a longer value is refused naming the field, a value at the
// limit (counted in characters, not bytes) is accepted.
func TestFieldLimits(t *testing.T) {
	c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret})
	c.partner = "limits"
	patient := c.createPatient(validPatient)
	long := func(n int) string { return strings.Repeat("é", n) } // 2 bytes each

	// At the limit: accepted.
	c.createPatient(with(validPatient, "family_name", long(100), "given_name", long(100), "partner_patient_id", long(128)))

	meta := map[string]any{"requestID": "rx_req_1"}
	rx := map[string]any{"patient_id": patient, "medication": "Amoxicillin 500mg", "quantity": 20, "instructions": "Twice a day"}
	referral := map[string]any{"patient_id": patient, "reason": "Cardiology review", "urgency": "urgent"}
	tests := []struct {
		name, path string
		body       map[string]any
		status     int
		field      string
	}{
		{"family_name", "/api/v1/patients", with(validPatient, "family_name", long(101)), 422, "family_name"},
		{"given_name", "/api/v1/patients", with(validPatient, "given_name", long(101)), 422, "given_name"},
		{"partner_patient_id", "/api/v1/patients", with(validPatient, "partner_patient_id", long(129)), 422, "partner_patient_id"},
		{"900 KB name", "/api/v1/patients", with(validPatient, "given_name", strings.Repeat("A", 900<<10)), 422, "given_name"},
		{"referral patient_id", "/functions/v1/referrals", with(referral, "patient_id", long(65)), 422, "patient_id"},
		{"referral reason", "/functions/v1/referrals", with(referral, "reason", long(1001)), 422, "reason"},
		{"prescription patient_id", "/partner/prescriptions", map[string]any{"metadata": meta, "prescription": with(rx, "patient_id", long(65))}, 200, "prescription.patient_id"},
		{"prescription medication", "/partner/prescriptions", map[string]any{"metadata": meta, "prescription": with(rx, "medication", long(201))}, 200, "prescription.medication"},
		{"prescription instructions", "/partner/prescriptions", map[string]any{"metadata": meta, "prescription": with(rx, "instructions", long(1001))}, 200, "prescription.instructions"},
		{"metadata requestID", "/partner/prescriptions", map[string]any{"metadata": map[string]any{"requestID": long(129)}, "prescription": rx}, 400, "metadata.requestID"},
		{"metadata requestTimestamp", "/partner/prescriptions", map[string]any{"metadata": with(meta, "requestTimestamp", long(65)), "prescription": rx}, 400, "metadata.requestTimestamp"},
		{"metadata responseTimestamp", "/partner/prescriptions", map[string]any{"metadata": with(meta, "responseTimestamp", long(65)), "prescription": rx}, 400, "metadata.responseTimestamp"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			var header map[string]string
			body, _ := json.Marshal(tt.body)
			if strings.HasPrefix(tt.path, "/functions/") {
				header = c.signed(body, uuid4(i))
			}
			res := c.do("POST", tt.path, body, header)
			c.status(res, tt.status)
			got := c.body(res)
			if len(got) > 4096 {
				t.Fatalf("answer of %d bytes: %.200s…", len(got), got)
			}
			if !strings.Contains(got, `"`+tt.field+`"`) || !strings.Contains(got, "must be at most") {
				t.Fatalf("answer does not name %s as too long: %s", tt.field, got)
			}
		})
	}
}

// TestOversizedNamesKeepNoMemory is the attack of issue 11: patients with
// 900 KB names. Before the field limits each one stayed in memory (300 of
// them took the demo's RSS from 12 to 443 MB).
func TestOversizedNamesKeepNoMemory(t *testing.T) {
	c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret})
	c.partner = "hoarder"
	const n = 60
	body, _ := json.Marshal(with(validPatient, "family_name", strings.Repeat("A", 900<<10)))
	before := heapInUse()
	for range n {
		res := c.do("POST", "/api/v1/patients", body, nil)
		c.body(res)
		if res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Fatalf("a patient with a 900 KB name: status %d, want a 4xx", res.StatusCode)
		}
	}
	grown := heapInUse() - before
	t.Logf("heap after %d patients with 900 KB names: %+d KB", n, grown>>10)
	if grown > 8<<20 { // n × 900 KB = 54 MB if they were kept
		t.Fatalf("heap grew by %d MB", grown>>20)
	}
}

func heapInUse() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// TestPartnerLimit: any valid token names a partner, so the number of
// partners holding data is bounded too: a new partner beyond it gets a
// 409 naming the limit, reads cost it nothing, the partners already in
// keep working, and a partner whose last patient goes frees its place.
func TestPartnerLimit(t *testing.T) {
	c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret, MaxPartners: 2})
	c.partner = "first"
	first := c.createPatient(validPatient)
	c.partner = "second"
	c.createPatient(validPatient)

	c.partner = "third"
	res := c.do("POST", "/api/v1/patients", validPatient, nil)
	c.status(res, 409)
	m := c.json(res)
	c.expect("code", get(m, "error", "type"), "https://parchment.health/errors/partners/limit-reached")
	if d, _ := get(m, "error", "detail").(string); !strings.Contains(d, "2 partners") {
		t.Fatalf("detail %q does not name the limit", d)
	}
	for range 3 { // reading takes no place
		c.status(c.do("GET", "/api/v1/patients", nil, nil), 200)
	}

	c.partner = "second"
	c.createPatient(validPatient)

	c.partner = "first"
	c.status(c.do("DELETE", "/api/v1/patients/"+first, nil, nil), 204)
	c.partner = "third"
	c.createPatient(validPatient)
}

// TestPerPartnerLimits: a partner that reached its number of patients
// (referrals) gets a 409 naming the limit; other partners do not notice,
// and deleting a patient makes room again.
func TestPerPartnerLimits(t *testing.T) {
	c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret, MaxPatients: 3, MaxReferrals: 2})
	c.partner = "full"
	var ids []string
	for range 3 {
		ids = append(ids, c.createPatient(validPatient))
	}
	res := c.do("POST", "/api/v1/patients", validPatient, nil)
	c.status(res, 409)
	m := c.json(res)
	c.expect("code", get(m, "error", "type"), "https://parchment.health/errors/patients/limit-reached")
	if d, _ := get(m, "error", "detail").(string); !strings.Contains(d, "3 patients") {
		t.Fatalf("detail %q does not name the limit", d)
	}

	c.partner = "another"
	c.createPatient(validPatient)

	c.partner = "full"
	c.status(c.do("DELETE", "/api/v1/patients/"+ids[0], nil, nil), 204)
	c.createPatient(validPatient)

	body, _ := json.Marshal(map[string]any{"patient_id": ids[1], "reason": "Cardiology review", "urgency": "urgent"})
	for i := range 2 {
		c.status(c.do("POST", "/functions/v1/referrals", body, c.signed(body, uuid4(100+i))), 201)
	}
	res = c.do("POST", "/functions/v1/referrals", body, c.signed(body, uuid4(102)))
	c.status(res, 409)
	c.expect("referral code", get(c.json(res), "error", "code"), "referrals/limit-reached")
}

// TestServerBounds: request headers are bounded (431), and every POST
// route refuses a body over 1 MiB (413) before decoding it.
func TestServerBounds(t *testing.T) {
	c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret})
	c.partner = "bounds"

	req, _ := http.NewRequest("GET", c.base+"/healthz", nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 64<<10))
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("64 KiB of headers: status %d, want 431", res.StatusCode)
	}

	big := []byte(`{"family_name":"` + strings.Repeat("A", 1<<20) + `"}`)
	for _, path := range []string{"/api/v1/patients", "/functions/v1/referrals", "/partner/prescriptions"} {
		var header map[string]string
		if strings.HasPrefix(path, "/functions/") {
			header = c.signed(big, uuid4(7))
		}
		c.t = t
		c.status(c.do("POST", path, big, header), 413)
	}
}
