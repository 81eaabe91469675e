// Package walkthrough tests that the README's walkthrough of the demo runs
// as written: its shell blocks are run in order, in one shell, against a
// freshly started demo, and each block's output is compared with the answer
// the README shows under it, after masking ids, timestamps and the headers
// that change from run to run.
//
// It is a module of its own so that its test dependency
// (github.com/rogpeppe/go-internal/testscript) stays out of apikit's go.mod.
// Run it with:
//
//	cd internal/walkthrough && go test ./...
//
// The demo listens on 127.0.0.1:8080 as in the README, so the port must be
// free.
package walkthrough
