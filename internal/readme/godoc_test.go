package readme_test

import (
	"go/ast"
	"go/doc/comment"
	"go/parser"
	gotoken "go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// documented are the packages whose go doc must open with a program a
// reader can paste: the first code block of each package comment.
var documented = []string{
	"problem", "envelope", "pagination",
	"idempotency", "idempotency/idemredis", "idempotency/idempg",
	"ratelimit", "ratelimit/rateredis",
	"signature", "signature/sigredis", "signature/sigpg",
	"client",
	"webhook", "webhook/hookpg", "webhook/hookredis",
	"version",
}

// core are the packages that must have a package-level Example (shown
// first on pkg.go.dev).
var core = []string{"problem", "envelope", "pagination", "idempotency", "ratelimit", "signature", "client", "webhook", "version"}

// hasPackageExample reports whether a test file of dir declares func
// Example() with an // Output: comment in its body.
func hasPackageExample(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(gotoken.NewFileSet(), name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || fn.Name.Name != "Example" || fn.Body == nil {
				continue
			}
			for _, cg := range f.Comments {
				if cg.Pos() > fn.Body.Lbrace && cg.End() < fn.Body.Rbrace && strings.HasPrefix(cg.Text(), "Output:") {
					return true
				}
			}
		}
	}
	return false
}

// TestGoDocOpens checks that the first code block of every documented
// package's comment is a complete program ("package main" with its
// imports) that go vet accepts, and that every core package has a
// package-level Example with output.
func TestGoDocOpens(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program per package")
	}
	dir, err := os.MkdirTemp(".", "godoc-programs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, pkg := range documented {
		src := filepath.Join("..", "..", filepath.FromSlash(pkg), "doc.go")
		f, err := parser.ParseFile(gotoken.NewFileSet(), src, nil, parser.ParseComments|parser.PackageClauseOnly)
		if err != nil || f.Doc == nil {
			t.Errorf("%s: no package comment in doc.go (%v)", pkg, err)
			continue
		}
		var code string
		for _, block := range new(comment.Parser).Parse(f.Doc.Text()).Content {
			if c, ok := block.(*comment.Code); ok {
				code = c.Text
				break
			}
		}
		if !strings.HasPrefix(code, "package main\n") {
			t.Errorf("%s: the package comment's first code block is not a complete program (package main …):\n%s", pkg, code)
			continue
		}
		prog := filepath.Join(dir, strings.ReplaceAll(pkg, "/", "_"))
		if err := os.Mkdir(prog, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(prog, "main.go"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, pkg := range core {
		if !hasPackageExample(t, filepath.Join("..", "..", pkg)) {
			t.Errorf("%s: no package-level func Example() with an // Output: comment", pkg)
		}
	}
	out, err := exec.Command("go", "vet", "./"+dir+"/...").CombinedOutput()
	if err != nil {
		t.Errorf("go vet of the programs in the package comments: %v\n%s", err, out)
	}
}
