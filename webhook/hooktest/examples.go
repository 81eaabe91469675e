package hooktest

import (
	"flag"
	"fmt"
	"os"
)

// SkipExamplesWithout makes "go test" skip the package's examples when
// the environment variable env is unset (examples of a store need its
// server), printing why. Call it from TestMain after flag.Parse.
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
