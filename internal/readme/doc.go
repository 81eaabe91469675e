// Package readme holds the Go snippets of the repository's README.md as
// compiled code: every ```go block of the README that follows a
// "<!-- snippet: NAME -->" line is the region between "// snippet: NAME"
// and "// end snippet" in snippets_test.go, and TestREADME fails when the
// two differ. Run "go test ./internal/readme -update" to copy the code into
// the README after changing it here.
//
// TestGoDocOpens does the same for go doc: the first code block of every
// package comment must be a complete program that go vet accepts, and every
// core package must have a package-level Example with output.
package readme
