package readme_test

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "copy the snippets into README.md")

var (
	snippetRe = regexp.MustCompile(`(?ms)^\t// snippet: ([a-z-]+)\n(.*?)^\t// end snippet\n`)
	blockRe   = regexp.MustCompile("(?ms)^<!-- snippet: ([a-z-]+) -->\n```go\n(.*?)```\n")
)

// TestREADME checks that every snippet of README.md is the compiled code of
// snippets_test.go, and that every snippet there appears in the README.
func TestREADME(t *testing.T) {
	src, err := os.ReadFile("snippets_test.go")
	if err != nil {
		t.Fatal(err)
	}
	code := map[string]string{}
	for _, m := range snippetRe.FindAllSubmatch(src, -1) {
		code[string(m[1])] = dedent(string(m[2]))
	}
	if len(code) == 0 {
		t.Fatal("no snippets found in snippets_test.go")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	out := blockRe.ReplaceAllFunc(readme, func(block []byte) []byte {
		m := blockRe.FindSubmatch(block)
		name := string(m[1])
		seen[name] = true
		want, ok := code[name]
		if !ok {
			t.Errorf("README.md has snippet %q that snippets_test.go lacks", name)
			return block
		}
		if string(m[2]) != want && !*update {
			t.Errorf("README.md snippet %q differs from snippets_test.go (run go test ./internal/readme -update):\n--- README\n%s--- code\n%s", name, m[2], want)
		}
		return []byte("<!-- snippet: " + name + " -->\n```go\n" + want + "```\n")
	})
	for name := range code {
		if !seen[name] {
			t.Errorf("snippet %q is not in README.md (add a \"<!-- snippet: %s -->\" line before a ```go block)", name, name)
		}
	}
	if *update && !bytes.Equal(out, readme) {
		if err := os.WriteFile("../../README.md", out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dedent removes one leading tab from every line.
func dedent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "\t")
	}
	return strings.Join(lines, "")
}
