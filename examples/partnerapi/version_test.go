package main

import (
	"strings"
	"testing"
	"time"
)

// TestVersions checks the demo's version contract: the deprecated v1 list
// announces its successor and sunset, answers 410 after the sunset, and
// referrals negotiate API-Version into the header and meta.version.
func TestVersions(t *testing.T) {
	at := func(day string) func() time.Time {
		tm, err := time.Parse(time.DateOnly, day)
		if err != nil {
			t.Fatal(err)
		}
		return func() time.Time { return tm }
	}

	t.Run("before the deprecation", func(t *testing.T) {
		c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret, Now: at("2026-05-01")})
		c.partner = "versions"
		res := c.do("GET", "/api/v1/patients", nil, nil)
		c.status(res, 200)
		// RFC 9745 §2.1: a future date announces the deprecation ahead.
		c.expect("Deprecation", res.Header.Get("Deprecation"), "@1780272000")
	})

	t.Run("deprecated", func(t *testing.T) {
		c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret, Now: at("2026-07-01")})
		c.partner = "versions"
		res := c.do("GET", "/api/v1/patients", nil, nil)
		c.status(res, 200)
		c.expect("Deprecation", res.Header.Get("Deprecation"), "@1780272000") // 2026-06-01T00:00:00Z
		c.expect("Sunset", res.Header.Get("Sunset"), "Wed, 30 Jun 2027 00:00:00 GMT")
		links := strings.Join(res.Header.Values("Link"), ", ")
		if !strings.Contains(links, `</v2/patients>; rel="successor-version"`) {
			t.Fatalf("Link %q lacks the successor", links)
		}
		// The successor itself is not deprecated.
		res = c.do("GET", "/v2/patients", nil, nil)
		c.status(res, 200)
		c.expect("v2 Deprecation", res.Header.Get("Deprecation"), "")
	})

	t.Run("after the sunset", func(t *testing.T) {
		c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret, Now: at("2027-07-01")})
		c.partner = "versions"
		res := c.do("GET", "/api/v1/patients", nil, nil)
		c.status(res, 410)
		m := c.json(res)
		c.expect("success", get(m, "success"), false)
		c.expect("statusCode", get(m, "statusCode"), float64(410))
		if typ, _ := get(m, "error", "type").(string); !strings.HasSuffix(typ, "version/sunset") {
			t.Fatalf("410 type %q", typ)
		}
		c.expect("successor", get(m, "error", "successor"), "/v2/patients")
		// Other v1 routes live on.
		c.status(c.do("GET", "/api/v1/patients/pat_missing", nil, nil), 404)
	})

	t.Run("referrals negotiate API-Version", func(t *testing.T) {
		c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret})
		c.partner = "versions"
		for _, tc := range []struct{ sent, want string }{{"", "2025-01-01"}, {"2025-06-01", "2025-06-01"}, {"2025-01-01", "2025-01-01"}} {
			var h map[string]string
			if tc.sent != "" {
				h = map[string]string{"API-Version": tc.sent}
			}
			// An unknown referral: the 404 is in the meta dialect, which
			// carries no meta member, so read the version from the header.
			res := c.do("GET", "/functions/v1/referrals/ref_missing", nil, h)
			c.status(res, 404)
			c.expect("API-Version "+tc.sent, res.Header.Get("API-Version"), tc.want)
		}
		// A created referral's meta.version is the negotiated version.
		patient := c.createPatient(validPatient)
		body := []byte(`{"patient_id":"` + patient + `","reason":"Cardiology review","urgency":"urgent"}`)
		h := c.signed(body, "5f0c3a2e-8b7d-4c1f-9e6a-2d4b8f0a1c3e")
		h["API-Version"] = "2025-06-01"
		res := c.do("POST", "/functions/v1/referrals", body, h)
		c.status(res, 201)
		c.expect("meta.version", get(c.json(res), "meta", "version"), "2025-06-01")

		res = c.do("GET", "/functions/v1/referrals/ref_missing", nil, map[string]string{"API-Version": "2024-01-01"})
		c.status(res, 400)
		m := c.json(res)
		c.expect("code", get(m, "error", "code"), "version/unknown")
		c.expect("supported", get(m, "error", "details", "supported", 1), "2025-06-01")
	})
}
