package webhook

import (
	"net/netip"
	"net/url"
	"testing"
	"time"
)

// FuzzRetryAfter: any Retry-After header gives a wait in [0, max].
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", "-5", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "1.5", " 3"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &Dispatcher{c: &config{maxRetryAfter: time.Hour, now: func() time.Time { return now }}}
	f.Fuzz(func(t *testing.T, v string) {
		if w := d.retryAfter(v); w < 0 || w > time.Hour {
			t.Fatalf("retryAfter(%q) = %v", v, w)
		}
	})
}

// FuzzCheckEndpoint: an accepted endpoint is an http(s) URL with a host
// that is not a literal internal address.
func FuzzCheckEndpoint(f *testing.F) {
	for _, s := range []string{"https://example.com/hooks", "http://127.0.0.1/", "http://[::ffff:10.0.0.1]:80/",
		"http://localhost./", "HTTP://EXAMPLE.COM", "http://0x7f.1/", "http://user@10.0.0.1@example.com/", "javascript:alert(1)"} {
		f.Add(s)
	}
	d := &Dispatcher{c: &config{}}
	f.Fuzz(func(t *testing.T, endpoint string) {
		if d.checkEndpoint(endpoint) != nil {
			return
		}
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("accepted %q", endpoint)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && refusedAddr(ip) != "" {
			t.Fatalf("accepted internal %q", endpoint)
		}
	})
}
