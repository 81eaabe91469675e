// Package testenv holds what the store packages' tests share to run
// against real servers.
package testenv

import (
	"flag"
	"fmt"
	"os"
)

// SkipExamplesWithout adds ^Example to -test.skip when the environment
// variable env is unset, and prints why to standard error: examples cannot
// skip themselves. Call it from TestMain after flag.Parse and before m.Run.
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
