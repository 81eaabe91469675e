package hooktest

import "github.com/apikit-go/apikit/internal/testenv"

// SkipExamplesWithout makes "go test" skip the package's examples when
// the environment variable env is unset (examples of a store need its
// server), printing why. Call it from TestMain after flag.Parse.
func SkipExamplesWithout(env, why string) { testenv.SkipExamplesWithout(env, why) }
