package webhook

import (
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestRefusedAddr(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "0.0.0.0": true, "100.64.0.1": true, "::1": true,
		"fe80::1": true, "fc00::1": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true,
		"224.0.0.1": true, "255.255.255.255": true, "::": true,
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700::1111": false,
	} {
		got := refusedAddr(netip.MustParseAddr(addr)) != ""
		if got != refused {
			t.Errorf("refusedAddr(%s) refused = %v; want %v", addr, got, refused)
		}
	}
	if err := dialControl("tcp", "127.0.0.1:80", nil); err == nil {
		t.Error("dialControl let loopback through")
	}
	if err := dialControl("tcp", "8.8.8.8:443", nil); err != nil {
		t.Errorf("dialControl refused a public address: %v", err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := &Dispatcher{c: &config{maxRetryAfter: time.Hour, now: func() time.Time { return now }}}
	for v, want := range map[string]time.Duration{
		"": 0, "1": time.Second, "120": 2 * time.Minute, "-3": 0, "junk": 0, "99999999999": time.Hour,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
		now.Add(-time.Minute).Format(http.TimeFormat):     0,
	} {
		if got := d.retryAfter(v); got != want {
			t.Errorf("retryAfter(%q) = %v; want %v", v, got, want)
		}
	}
}

func TestJitter(t *testing.T) {
	for range 1000 {
		j := jitter(time.Minute, 0.2)
		if j < 48*time.Second || j > 72*time.Second {
			t.Fatalf("jitter(1m, 0.2) = %v", j)
		}
	}
	if jitter(0, 0.2) != 0 {
		t.Fatal("a zero wait got jitter")
	}
}
