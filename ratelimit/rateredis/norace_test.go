//go:build !race

package rateredis

const raceEnabled = false
