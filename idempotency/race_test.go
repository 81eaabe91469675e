//go:build race

package idempotency_test

// raceEnabled: sync.Pool drops items at random under the race detector.
const raceEnabled = true
