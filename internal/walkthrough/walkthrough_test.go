package walkthrough

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

const (
	readmePath = "../../README.md"
	section    = "## The demo, step by step"
	demoAddr   = "127.0.0.1:8080"
	startBlock = "go run ./examples/partnerapi"
)

// block is one shell block of the walkthrough and the answer shown under it
// (empty when the README shows none).
type block struct {
	line   int
	script string
	want   string
}

var fenceRe = regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```\n")

// walkthrough returns the shell blocks of the README's walkthrough section.
func walkthrough(t testing.TB, readme string) (start string, blocks []block) {
	i := strings.Index(readme, "\n"+section+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q section", section)
	}
	body := readme[i+1:]
	if j := strings.Index(body[len(section):], "\n## "); j >= 0 {
		body = body[:len(section)+j+1]
	}
	offset := strings.Count(readme[:i+1], "\n") + 1
	ms := fenceRe.FindAllStringSubmatchIndex(body, -1)
	for k := 0; k < len(ms); k++ {
		m := ms[k]
		lang, text := body[m[2]:m[3]], body[m[4]:m[5]]
		line := offset + strings.Count(body[:m[0]], "\n")
		if lang != "sh" {
			continue
		}
		if start == "" {
			start = strings.TrimSpace(text)
			continue
		}
		b := block{line: line, script: text}
		if k+1 < len(ms) && ms[k+1][0] == m[1] { // an answer right under it
			if next := body[ms[k+1][2]:ms[k+1][3]]; next != "sh" {
				b.want = body[ms[k+1][4]:ms[k+1][5]]
				k++
			}
		}
		blocks = append(blocks, b)
	}
	return start, blocks
}

// masks replace what changes from run to run with a placeholder, in the
// README's answers and in the real ones alike.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\r`), ""},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z`), "<time>"},
	{regexp.MustCompile(`\b(pat|req|ref|rx|msg|evt)_[0-9A-Za-z_]+`), "${1}_<id>"},
	{regexp.MustCompile(`(?im)^(Date|X-Ratelimit-Reset|X-Ratelimit-Remaining|Content-Length|Ratelimit|Retry-After): .*$`), "$1: <varies>"},
	{regexp.MustCompile(`"lastKey":"[^"]+"`), `"lastKey":"<cursor>"`},
	{regexp.MustCompile(`[?&](lastKey|starting_after|ending_before)=[A-Za-z0-9_-]+`), "$1=<cursor>"},
}

func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return strings.TrimSpace(s)
}

const marker = "### walkthrough block "

func TestWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is needed to run the README's shell blocks")
	}
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	start, blocks := walkthrough(t, string(raw))
	if start != startBlock {
		t.Fatalf("the walkthrough's first shell block is %q; the test runs the demo as %q", start, startBlock)
	}
	if len(blocks) < 5 {
		t.Fatalf("found %d shell blocks in the walkthrough, want at least 5", len(blocks))
	}
	if c, err := net.DialTimeout("tcp", demoAddr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s is in use: the walkthrough needs the demo's default address", demoAddr)
	}

	// The demo, built once: what `go run ./examples/partnerapi` runs.
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "partnerapi"), "./examples/partnerapi")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/partnerapi: %v\n%s", err, out)
	}

	var script, want strings.Builder
	// A block that fails stops the shell: the trap stops what the blocks
	// started in the background, whose output would keep the test waiting.
	script.WriteString("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\ncd " + shellQuote(absRoot(t)) + "\n")
	for i, b := range blocks {
		fmt.Fprintf(&script, "printf '\\n%s%d (README.md line %d)\\n'\n%s", marker, i, b.line, b.script)
	}
	for i, b := range blocks {
		fmt.Fprintf(&want, "%s%d (README.md line %d)\n%s", marker, i, b.line, b.want)
	}
	dir := t.TempDir()
	txtar := "exec partnerapi -addr " + demoAddr + " &demo&\n" +
		"waitfor http://" + demoAddr + "/healthz\n" +
		"exec bash $WORK/walk.sh\n" +
		"answers stdout want.txt\n" +
		"kill -INT demo\nwait demo\n" +
		"-- walk.sh --\n" + script.String() +
		"-- want.txt --\n" + want.String()
	if err := os.WriteFile(filepath.Join(dir, "walkthrough.txtar"), []byte(txtar), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			env.Setenv("HOME", env.WorkDir)
			// The walkthrough builds the callback receiver with the go
			// command: keep the caller's build and module caches.
			for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS"} {
				out, err := exec.Command("go", "env", k).Output()
				if err != nil {
					return err
				}
				env.Setenv(k, strings.TrimSpace(string(out)))
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfor": waitFor,
			"answers": compareAnswers,
		},
	})
}

// waitfor URL waits up to 15 s for URL to answer 200.
func waitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfor URL")
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(args[0])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s did not answer 200 within 15s: %v", args[0], err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// answers stdout want.txt compares each block's output with the README's
// answer under it, after masking.
func compareAnswers(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: answers stdout want.txt")
	}
	got, want := split(ts.ReadFile(args[0])), split(ts.ReadFile(args[1]))
	if len(got) != len(want) {
		ts.Fatalf("the walkthrough printed %d block markers, want %d (a block stopped the shell?)", len(got), len(want))
	}
	for i := range want {
		if want[i].body == "" { // the README shows no answer for this block
			continue
		}
		if g, w := mask(got[i].body), mask(want[i].body); g != w {
			ts.Fatalf("%s: the answer differs from the README\n--- README (masked)\n%s\n--- got (masked)\n%s", want[i].title, w, g)
		}
	}
}

type answer struct{ title, body string }

func split(s string) []answer {
	var out []answer
	for _, part := range strings.Split(s, marker)[1:] {
		title, body, _ := strings.Cut(part, "\n")
		out = append(out, answer{"README block " + title, body})
	}
	return out
}

func absRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestMaskCatchesChanges shows that the comparison can fail: a changed
// status, field or value survives masking.
func TestMaskCatchesChanges(t *testing.T) {
	base := `{"success":true,"statusCode":201,"data":{"patient_id":"pat_abc"},"timestamp":"2026-11-21T08:49:24.935Z","requestId":"req_1795250964934_bspnelwhyis2"}`
	same := `{"success":true,"statusCode":201,"data":{"patient_id":"pat_zzz9"},"timestamp":"2027-01-01T00:00:00.000Z","requestId":"req_1_x"}`
	if mask(base) != mask(same) {
		t.Fatalf("ids and times should be masked:\n%s\n%s", mask(base), mask(same))
	}
	for _, changed := range []string{
		strings.Replace(base, "201", "200", 1),
		strings.Replace(base, `"success":true`, `"success":false`, 1),
		strings.Replace(base, `"patient_id"`, `"id"`, 1),
	} {
		if mask(changed) == mask(base) {
			t.Errorf("a change was masked away: %s", changed)
		}
	}
	if !bytes.Contains([]byte(mask("Date: Mon\r\nIdempotent-Replayed: true\r")), []byte("Idempotent-Replayed: true")) {
		t.Error("a stable header was masked")
	}
}
