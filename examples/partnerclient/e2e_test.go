package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/client"
)

// TestThroughFaultyNetwork runs partnerclient against examples/partnerapi
// (built and started as a binary) through a proxy that drops connections,
// answers 503 with Retry-After, and loses responses after the server has
// processed the request. Every logical create must happen exactly once.
func TestThroughFaultyNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts examples/partnerapi")
	}
	api := startAPI(t)
	proxy := newFaultyProxy(t, api)
	const n = 60 // more than one page (the API's default page size is 50)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// This network fails most attempts, far beyond what the default retry
	// budget (10 + 20% of requests) is meant to absorb: raise it, and
	// shorten the backoff to keep the test quick.
	fast := func(opts ...client.Option) []client.Option {
		return append(opts, client.WithBackoff(10*time.Millisecond, 100*time.Millisecond), client.WithRetryBudget(3, 10))
	}
	partner := "e2e-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"-base", proxy.URL, "-token", partner, "create", strconv.Itoa(n)}, &out, &errOut, fast()...); code != 0 {
		t.Fatalf("create exited %d: %s", code, errOut.String())
	}
	created := strings.Fields(out.String())
	if len(created) != n || len(unique(created)) != n {
		t.Fatalf("create printed %d ids (%d unique); want %d: %v", len(created), len(unique(created)), n, created)
	}
	faults := proxy.counts()
	t.Logf("faults injected: %v", faults)
	for _, f := range []string{"drop", "503", "lost"} {
		if faults[f] == 0 {
			t.Fatalf("no %q fault was injected: %v", f, faults)
		}
	}

	// What the server holds, asked directly.
	out.Reset()
	if code := run(ctx, []string{"-base", api, "-token", partner, "list"}, &out, &errOut); code != 0 {
		t.Fatalf("list exited %d: %s", code, errOut.String())
	}
	stored := strings.Fields(out.String())
	if len(stored) != n || strings.Join(sorted(stored), " ") != strings.Join(sorted(created), " ") {
		t.Fatalf("the server holds %d patients %v; want exactly the %d created %v", len(stored), stored, n, created)
	}

	// list through the faulty proxy too.
	out.Reset()
	if code := run(ctx, []string{"-base", proxy.URL, "-token", partner, "list"}, &out, &errOut, fast()...); code != 0 {
		t.Fatalf("list through the proxy exited %d: %s", code, errOut.String())
	}
	if got := strings.Fields(out.String()); len(got) != n {
		t.Fatalf("list through the proxy: %d ids, want %d", len(got), n)
	}
}

func TestPermanentErrorIsAProblem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_42")
		w.WriteHeader(401)
		io.WriteString(w, `{"success":false,"statusCode":401,"error":{"type":"https://parchment.health/errors/invalid-token","title":"Unauthorized","detail":"The authentication token is malformed"},"requestId":"req_42"}`)
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-base", srv.URL, "create", "1"}, &out, &errOut)
	want := "partnerclient: auth/invalid-token (status 401): The authentication token is malformed (request id req_42)\n"
	if code != 1 || errOut.String() != want || out.Len() != 0 {
		t.Fatalf("exit %d, stderr %q, stdout %q; want 1, %q", code, errOut.String(), out.String(), want)
	}
}

// startAPI builds examples/partnerapi, starts it on a free port and
// returns its base URL.
func startAPI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "partnerapi")
	build := exec.Command("go", "build", "-o", bin, "../partnerapi")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ../partnerapi: %v\n%s", err, b)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr, "-rate", "100000/1m")
	cmd.Stderr = io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("partnerapi did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// faultyProxy forwards requests to a backend, failing some of them in a
// fixed rotation: drop (connection reset before forwarding), 503 with
// Retry-After: 1 (the first two only, to keep the test short), lost (forwarded and processed,
// then the connection is reset instead of answering), ok.
type faultyProxy struct {
	*httptest.Server
	mu     sync.Mutex
	n      int
	faults map[string]int
}

func newFaultyProxy(t *testing.T, backend string) *faultyProxy {
	p := &faultyProxy{faults: map[string]int{}}
	upstream := &http.Transport{}
	t.Cleanup(upstream.CloseIdleConnections)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.n++
		fault := [...]string{"ok", "drop", "503", "lost", "ok", "lost", "drop"}[p.n%7]
		if fault == "503" && p.faults["503"] >= 2 {
			fault = "ok"
		}
		p.faults[fault]++
		p.mu.Unlock()
		switch fault {
		case "drop":
			hangUp(w)
			return
		case "503":
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, backend+r.URL.RequestURI(), r.Body)
		if err != nil {
			hangUp(w)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := upstream.RoundTrip(out)
		if err != nil {
			hangUp(w)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if fault == "lost" {
			hangUp(w) // the server acted; the caller never hears of it
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *faultyProxy) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := map[string]int{}
	for k, v := range p.faults {
		m[k] = v
	}
	return m
}

func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

func unique(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}
