package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestHostHeaderIsNotEchoed: the url of a created patient and the Link
// headers of lists are relative, or under -base-url; a hostile Host header
// never appears in them.
func TestHostHeaderIsNotEchoed(t *testing.T) {
	const evil = "evil.example"
	tests := []struct {
		name, baseURL, wantPrefix string
	}{
		{"relative by default", "", "/api/v1/patients"},
		{"under -base-url", "https://api.example.com/", "https://api.example.com/api/v1/patients"},
		{"under -base-url with a path prefix", "https://example.com/clinic", "https://example.com/clinic/api/v1/patients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := start(t, config{Rate: "1000/1m", SigningSecret: DemoSigningSecret, BaseURL: tt.baseURL})
			c.partner = "host"
			hostile := func(method, path string, body any) *http.Response {
				c.t = t
				res := c.do(method, path, body, map[string]string{"X-Forwarded-Host": evil})
				if res.Request.Host != evil {
					t.Fatalf("sent with Host %q, want %q", res.Request.Host, evil)
				}
				return res
			}
			c.http.Transport = hostTransport{evil}
			for range 2 {
				res := hostile("POST", "/api/v1/patients", validPatient)
				c.status(res, 201)
				m := c.json(res)
				id, _ := get(m, "data", "patient_id").(string)
				c.expect("url", get(m, "data", "url"), tt.wantPrefix+"/"+id)
			}
			res := hostile("GET", "/api/v1/patients?limit=1", nil)
			c.status(res, 200)
			link := res.Header.Get("Link")
			if !strings.HasPrefix(link, "<"+tt.wantPrefix+"?") || strings.Contains(link, evil) {
				t.Fatalf("Link %q, want it under %q", link, tt.wantPrefix)
			}
			res = hostile("GET", "/v2/patients?limit=1", nil)
			c.status(res, 200)
			if link := res.Header.Get("Link"); !strings.Contains(link, "/v2/patients?") || strings.Contains(link, evil) {
				t.Fatalf("records Link %q", link)
			}
		})
	}
}

// hostTransport sends every request with the Host header host.
type hostTransport struct{ host string }

func (h hostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = h.host
	return http.DefaultTransport.RoundTrip(r)
}

func TestBaseURLFlag(t *testing.T) {
	for _, bad := range []string{"api.example.com", "ftp://api.example.com", "https://", "https://api.example.com/?q=1", "https://user@api.example.com", "https://api.example.com/#x"} {
		if _, err := newServer(context.Background(), config{BaseURL: bad}); err == nil {
			t.Errorf("-base-url %q accepted", bad)
		}
	}
}
