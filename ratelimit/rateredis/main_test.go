package rateredis_test

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// TestMain skips the examples, which need a Redis server, when
// APIKIT_REDIS_URL is unset; the tests skip themselves with the same
// message.
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv("APIKIT_REDIS_URL") == "" {
		skip := "^Example"
		if f := flag.Lookup("test.skip"); f != nil {
			if cur := f.Value.String(); cur != "" {
				skip = cur + "|" + skip
			}
			_ = f.Value.Set(skip)
		}
		fmt.Fprintln(os.Stderr, "rateredis: examples skipped: set APIKIT_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run them")
	}
	os.Exit(m.Run())
}
