package bench

// End-to-end comparison of the demo API (examples/partnerapi, in-memory
// stores) with a hand-written net/http server doing the same work
// (cmd/e2ebaseline). Both run as separate processes on loopback with their
// logs sent to /dev/null; the load comes from this process, 16 workers over
// keep-alive connections. ns/op is wall time per request (throughput),
// p50-ns / p99-ns are latency percentiles of the measured requests, and
// server-cpu-ns/op is the CPU time the server process used per request.
//
// Run the two sides in short interleaved rounds (see BENCHMARKS.md):
//
//	go test -run '^$' -bench 'E2E/get/apikit' -benchtime 2000x
//	go test -run '^$' -bench 'E2E/get/baseline' -benchtime 2000x

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const e2eWorkers = 16

// e2eWarmup is the number of requests sent before each measurement.
var e2eWarmup = 2000

type e2eServer struct {
	base string
	cmd  *exec.Cmd
}

var (
	e2eOnce    sync.Once
	e2eServers map[string]*e2eServer
	e2eErr     error
)

// freeAddr returns a loopback address with a port that was free just now;
// it panics when tb is nil and no port can be had.
func freeAddr(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		if tb == nil {
			panic(err)
		}
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startE2E builds and starts both servers once per test binary.
func startE2E(tb testing.TB) map[string]*e2eServer {
	e2eOnce.Do(func() {
		// APIKIT_E2E_BIN names a directory that keeps the two binaries
		// between runs (bench/e2e.sh sets it); they are built when absent.
		dir := os.Getenv("APIKIT_E2E_BIN")
		if dir == "" {
			var err error
			if dir, err = os.MkdirTemp("", "apikit-e2e"); err != nil {
				e2eErr = err
				return
			}
		}
		// Each is built in its own module: the demo in apikit's, the
		// baseline in this one.
		builds := map[string][2]string{"apikit": {"..", "./examples/partnerapi"}, "baseline": {".", "./cmd/e2ebaseline"}}
		e2eServers = map[string]*e2eServer{}
		for name, pkg := range builds {
			bin := filepath.Join(dir, name)
			if _, err := os.Stat(bin); err != nil {
				build := exec.Command("go", "build", "-o", bin, pkg[1])
				build.Dir = pkg[0]
				out, err := build.CombinedOutput()
				if err != nil {
					e2eErr = fmt.Errorf("build %s: %v\n%s", pkg, err, out)
					return
				}
			}
			addr := freeAddr(tb)
			args := []string{"-addr", addr}
			if name == "apikit" {
				args = append(args, "-rate", "1000000000/1s")
			}
			cmd := exec.Command(bin, args...)
			cmd.Stdout, cmd.Stderr = nil, nil // /dev/null: both log one line per request
			if err := cmd.Start(); err != nil {
				e2eErr = err
				return
			}
			s := &e2eServer{base: "http://" + addr, cmd: cmd}
			e2eServers[name] = s
			deadline := time.Now().Add(10 * time.Second)
			for {
				c, err := net.Dial("tcp", addr)
				if err == nil {
					c.Close()
					break
				}
				if time.Now().After(deadline) {
					e2eErr = fmt.Errorf("%s did not start: %v", name, err)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
	if e2eErr != nil {
		tb.Fatal(e2eErr)
	}
	return e2eServers
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range e2eServers {
		_ = s.cmd.Process.Kill()
		_, _ = s.cmd.Process.Wait()
	}
	if privateRedis != nil {
		_ = privateRedis.Process.Kill()
		_, _ = privateRedis.Process.Wait()
	}
	os.Exit(code)
}

var e2eClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: e2eWorkers * 2, MaxConnsPerHost: e2eWorkers * 2}, Timeout: 10 * time.Second}

const createBody = `{"family_name":"Smith","given_name":"John","date_of_birth":"1990-01-15","sex":"M","partner_patient_id":"%s"}`

// do sends one request and checks its status; it returns the body.
func do(method, url, partner, key, body string, want int, buf *bytes.Buffer) error {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+partner)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := e2eClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, buf.String())
	}
	if resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("X-Ratelimit-Remaining") == "" {
		return fmt.Errorf("%s %s: missing X-Request-Id or X-RateLimit-Remaining", method, url)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"success":true`)) {
		return fmt.Errorf("%s %s: not a success envelope: %s", method, url, buf.String())
	}
	return nil
}

var e2eSeq atomic.Int64

var sameWorkOnce sync.Once

func BenchmarkE2E(b *testing.B) {
	servers := startE2E(b)
	sameWorkOnce.Do(func() { checkSameWork(b, servers) })
	for _, scenario := range []string{"get", "replay", "new"} {
		b.Run(scenario, func(b *testing.B) {
			for _, name := range []string{"apikit", "baseline"} {
				b.Run(name, func(b *testing.B) { runE2E(b, servers[name], scenario) })
			}
		})
	}
}

// cpuTime returns the user and system CPU time the process pid has used
// (Linux /proc), or false.
func cpuTime(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th of them, in clock ticks (100 Hz on Linux).
	_, rest, ok := bytes.Cut(b, []byte(") "))
	f := strings.Fields(string(rest))
	if !ok || len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * 10 * time.Millisecond, true
}

func runE2E(b *testing.B, srv *e2eServer, scenario string) {
	base := srv.base
	partner := "bench" + strconv.FormatInt(time.Now().UnixNano(), 36)
	var buf bytes.Buffer
	// Set-up outside the timed part: a patient to read and a key to replay.
	if err := do("POST", base+"/api/v1/patients", partner, "setup", fmt.Sprintf(createBody, "SETUP"), 201, &buf); err != nil {
		b.Fatal(err)
	}
	var created struct {
		Data struct {
			PatientID string `json:"patient_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(buf.Bytes(), &created); err != nil || created.Data.PatientID == "" {
		b.Fatalf("setup: %v %s", err, buf.String())
	}
	getURL := base + "/api/v1/patients/" + created.Data.PatientID
	setupBody := fmt.Sprintf(createBody, "SETUP")

	// send runs n requests of the scenario from e2eWorkers workers and
	// returns their latencies.
	send := func(n int) ([]time.Duration, error) {
		var next atomic.Int64
		lat := make([]time.Duration, n)
		var failed atomic.Value
		var wg sync.WaitGroup
		for w := 0; w < e2eWorkers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf bytes.Buffer
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					start := time.Now()
					var err error
					switch scenario {
					case "get":
						err = do("GET", getURL, partner, "", "", 200, &buf)
					case "replay":
						err = do("POST", base+"/api/v1/patients", partner, "setup", setupBody, 201, &buf)
					case "new":
						// A new partner every 5,000 patients: both servers
						// keep at most 10,000 per partner.
						k := e2eSeq.Add(1)
						err = do("POST", base+"/api/v1/patients", partner+"-"+strconv.FormatInt(k/5000, 10), "k"+strconv.FormatInt(k, 10),
							fmt.Sprintf(createBody, "P"+strconv.FormatInt(k, 10)), 201, &buf)
					}
					lat[i] = time.Since(start)
					if err != nil {
						failed.CompareAndSwap(nil, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		err, _ := failed.Load().(error)
		return lat, err
	}
	// Warm-up outside the timed part: the server's maps, pools, heap and
	// connections reach their steady state, so that the figures are those
	// of a running server rather than of a process start.
	if _, err := send(min(e2eWarmup, max(b.N, 10))); err != nil {
		b.Fatal(err)
	}
	cpu0, cpuOK := cpuTime(srv.cmd.Process.Pid)
	b.ResetTimer() // no ReportAllocs: this process is only the load generator
	lat, err := send(b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if cpu1, ok := cpuTime(srv.cmd.Process.Pid); ok && cpuOK {
		// The server's own CPU time per request: less disturbed by other
		// work on the machine than wall time (10 ms ticks: use ≥ 2000x).
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "server-cpu-ns/op")
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// TestE2ESameWork sends the same requests to the demo and to the baseline
// and checks that both answer with the same status and the same header
// names: the baseline must do the demo's work, no less (a check it skips
// shows up as a different status) and no more.
func TestE2ESameWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts both servers")
	}
	checkSameWork(t, startE2E(t))
}

// checkSameWork is TestE2ESameWork's check; BenchmarkE2E runs it too
// (once per process), so a benchmark run never compares unequal servers.
func checkSameWork(t testing.TB, servers map[string]*e2eServer) {
	long := strings.Repeat("é", 101)
	type req struct {
		name, method, path, key, ctype, body string
	}
	reqs := []req{
		{"create", "POST", "/api/v1/patients", "k1", "application/json", fmt.Sprintf(createBody, "A1")},
		{"replay", "POST", "/api/v1/patients", "k1", "application/json", fmt.Sprintf(createBody, "A1")},
		{"key reused", "POST", "/api/v1/patients", "k1", "application/json", fmt.Sprintf(createBody, "A2")},
		{"no key", "POST", "/api/v1/patients", "", "application/json", fmt.Sprintf(createBody, "A3")},
		{"partner id in use", "POST", "/api/v1/patients", "k2", "application/json", fmt.Sprintf(createBody, "A3")},
		{"content type", "POST", "/api/v1/patients", "k3", "text/plain", fmt.Sprintf(createBody, "A4")},
		{"duplicate member", "POST", "/api/v1/patients", "k4", "application/json", `{"family_name":"A","family_name":"B","given_name":"J","date_of_birth":"1990-01-15","sex":"M"}`},
		{"unknown member", "POST", "/api/v1/patients", "k5", "application/json", `{"family_name":"A","given_name":"J","date_of_birth":"1990-01-15","sex":"M","x":1}`},
		{"trailing data", "POST", "/api/v1/patients", "k6", "application/json", `{"family_name":"A","given_name":"J","date_of_birth":"1990-01-15","sex":"M"} {}`},
		{"invalid UTF-8", "POST", "/api/v1/patients", "k7", "application/json", "{\"family_name\":\"A\xff\",\"given_name\":\"J\",\"date_of_birth\":\"1990-01-15\",\"sex\":\"M\"}"},
		{"empty body", "POST", "/api/v1/patients", "k8", "application/json", " "},
		{"name too long", "POST", "/api/v1/patients", "k9", "application/json", `{"family_name":"` + long + `","given_name":"J","date_of_birth":"1990-01-15","sex":"M"}`},
		{"name at the limit", "POST", "/api/v1/patients", "k10", "application/json", `{"family_name":"` + long[2:] + `","given_name":"J","date_of_birth":"1990-01-15","sex":"M"}`},
		{"bad date", "POST", "/api/v1/patients", "k11", "application/json", `{"family_name":"A","given_name":"J","date_of_birth":"1990-1-15","sex":"M"}`},
		{"future date", "POST", "/api/v1/patients", "k12", "application/json", `{"family_name":"A","given_name":"J","date_of_birth":"2990-01-15","sex":"M"}`},
		{"bad sex", "POST", "/api/v1/patients", "k13", "application/json", `{"family_name":"A","given_name":"J","date_of_birth":"1990-01-15","sex":"Q"}`},
		{"bad IHI", "POST", "/api/v1/patients", "k14", "application/json", `{"family_name":"A","given_name":"J","date_of_birth":"1990-01-15","sex":"M","ihi_number":"123"}`},
		{"missing field", "POST", "/api/v1/patients", "k15", "application/json", `{"family_name":"A","date_of_birth":"1990-01-15","sex":"M"}`},
		{"unknown patient", "GET", "/api/v1/patients/pat_nope", "", "", ""},
	}
	partner := "same" + strconv.FormatInt(time.Now().UnixNano(), 36)
	type answer struct {
		status  int
		headers []string
	}
	answers := map[string][]answer{}
	var created string
	for _, name := range []string{"apikit", "baseline"} {
		for _, rq := range reqs {
			var body io.Reader
			if rq.body != "" {
				body = strings.NewReader(rq.body)
			}
			req, err := http.NewRequest(rq.method, servers[name].base+rq.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+partner)
			if rq.ctype != "" {
				req.Header.Set("Content-Type", rq.ctype)
			}
			if rq.key != "" {
				req.Header.Set("Idempotency-Key", rq.key)
			}
			resp, err := e2eClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rq.name == "create" {
				created = string(b)
			}
			var hs []string
			for h := range resp.Header {
				if h != "Date" && h != "Content-Length" {
					hs = append(hs, h)
				}
			}
			slices.Sort(hs)
			answers[name] = append(answers[name], answer{resp.StatusCode, hs})
		}
	}
	for i, rq := range reqs {
		a, b := answers["apikit"][i], answers["baseline"][i]
		if a.status != b.status || !slices.Equal(a.headers, b.headers) {
			t.Errorf("%s: demo %d %v, baseline %d %v", rq.name, a.status, a.headers, b.status, b.headers)
		}
	}
	if !strings.Contains(created, `"success":true`) {
		t.Errorf("create: %s", created)
	}
}
