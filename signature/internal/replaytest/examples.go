package replaytest

import "github.com/apikit-go/apikit/internal/testenv"

// SkipExamplesWithout makes `go test` skip the package's examples, which
// talk to a real server, when the environment variable env is unset,
// printing why. Call it from TestMain after flag.Parse.
func SkipExamplesWithout(env, why string) { testenv.SkipExamplesWithout(env, why) }
