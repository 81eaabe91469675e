package replaytest

import (
	"flag"
	"fmt"
	"os"
)

// SkipExamplesWithout makes `go test` skip the package's examples, which
// talk to a real server, when the environment variable env is unset,
// printing why. Call it from TestMain after flag.Parse.
func SkipExamplesWithout(env, why string) {
	if os.Getenv(env) != "" {
		return
	}
	skip := "^Example"
	if f := flag.Lookup("test.skip"); f != nil {
		if cur := f.Value.String(); cur != "" {
			skip = cur + "|" + skip
		}
		_ = f.Value.Set(skip)
	}
	fmt.Fprintln(os.Stderr, why)
}
