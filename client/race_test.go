//go:build race

package client_test

// raceEnabled: the race detector changes what escapes, so allocation
// counts are only checked without it.
const raceEnabled = true
