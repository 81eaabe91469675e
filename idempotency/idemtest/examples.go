package idemtest

import "github.com/apikit-go/apikit/internal/testenv"

// SkipExamplesWithout is for the TestMain of a store whose examples talk to
// a real server: examples cannot skip themselves, so when the environment
// variable env is unset it adds ^Example to -test.skip and prints why to
// standard error. Tests skip themselves the same way with t.Skip. Call it
// after flag.Parse and before m.Run:
//
//	func TestMain(m *testing.M) {
//		flag.Parse()
//		idemtest.SkipExamplesWithout("MYSTORE_URL", "mystore: examples skipped: set MYSTORE_URL to run them")
//		os.Exit(m.Run())
//	}
func SkipExamplesWithout(env, why string) { testenv.SkipExamplesWithout(env, why) }
