package client_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/apikit-go/apikit/client"
)

// The success path's overhead: the same GET on the same loopback server,
// through a bare http.Client and through the client's Transport. Compare
// with: go test -run '^$' -bench . -count 10 ./client | benchstat.
func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	newBase := func() *http.Transport {
		return &http.Transport{MaxIdleConnsPerHost: 4}
	}
	run := func(b *testing.B, rt http.RoundTripper) {
		hc := &http.Client{Transport: rt}
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/patients", nil)
		b.ReportAllocs()
		b.ResetTimer()
		var buf [64]byte
		for b.Loop() {
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.ReadFull(resp.Body, buf[:])
			resp.Body.Close()
			if resp.StatusCode != 200 || string(buf[:n]) != `{"ok":true}` {
				b.Fatalf("%d %q", resp.StatusCode, buf[:n])
			}
		}
	}
	b.Run("transport=bare", func(b *testing.B) { run(b, newBase()) })
	b.Run("transport=client", func(b *testing.B) {
		t, err := client.NewTransport(newBase())
		if err != nil {
			b.Fatal(err)
		}
		run(b, t)
	})
	b.Run("transport=client+header", func(b *testing.B) {
		t, err := client.NewTransport(newBase(), client.WithHeader("Authorization", "Bearer acme"))
		if err != nil {
			b.Fatal(err)
		}
		run(b, t)
	})
}

// BenchmarkOverhead measures the Transport alone: the base transport
// returns a canned 200 without any I/O, so the time and allocations are
// the client's own.
func BenchmarkOverhead(b *testing.B) {
	canned := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	limited := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		h := http.Header{"Date": {"Tue, 01 Dec 2026 11:00:00 GMT"}, "X-Ratelimit-Limit": {"1000000"},
			"X-Ratelimit-Remaining": {"999999"}, "X-Ratelimit-Reset": {"4102444800"}}
		return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody, Request: r}, nil
	})
	req, _ := http.NewRequest("GET", "http://api.example.com/api/v1/patients", nil)
	post, _ := http.NewRequest("POST", "http://api.example.com/api/v1/patients", nil)
	for _, tc := range []struct {
		name string
		rt   func() http.RoundTripper
		post bool
	}{
		{"transport=bare", func() http.RoundTripper { return canned }, false},
		{"transport=client", func() http.RoundTripper { t, _ := client.NewTransport(canned); return t }, false},
		{"transport=client+header", func() http.RoundTripper {
			t, _ := client.NewTransport(canned, client.WithHeader("Authorization", "Bearer acme"))
			return t
		}, false},
		// The server reports its rate limit on every answer (the base
		// builds that header map, as a real transport would).
		{"transport=bare+ratelimit", func() http.RoundTripper { return limited }, false},
		{"transport=client+ratelimit", func() http.RoundTripper { t, _ := client.NewTransport(limited); return t }, false},
		// A POST: an idempotency key is generated and added.
		{"transport=bare+post", func() http.RoundTripper { return canned }, true},
		{"transport=client+post", func() http.RoundTripper { t, _ := client.NewTransport(canned); return t }, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			rt := tc.rt()
			r := req
			if tc.post {
				r = post
			}
			b.ReportAllocs()
			for b.Loop() {
				resp, err := rt.RoundTrip(r)
				if err != nil || resp.StatusCode != 200 {
					b.Fatal(resp, err)
				}
				resp.Body.Close()
			}
		})
	}
}

// TestOverheadAllocations: over a bare transport, the client adds no
// allocation to a GET and at most three to a POST that gets an automatic
// idempotency key (the request copy, its header map and the map's
// entries; the key shares the copy's allocation).
func TestOverheadAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("counts allocations, which the race detector changes")
	}
	canned := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})
	tr, err := client.NewTransport(canned)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method string
		extra  float64
	}{{"GET", 0}, {"POST", 3}} {
		req, _ := http.NewRequest(tc.method, "http://api.example.com/api/v1/patients", nil)
		allocs := func(rt http.RoundTripper) float64 {
			return testing.AllocsPerRun(200, func() {
				resp, err := rt.RoundTrip(req)
				if err != nil || resp.StatusCode != 200 {
					t.Fatal(resp, err)
				}
			})
		}
		bare, with := allocs(canned), allocs(tr)
		if with-bare > tc.extra {
			t.Errorf("%s: %v allocations through the client, %v bare: want at most %v more", tc.method, with, bare, tc.extra)
		}
	}
}
