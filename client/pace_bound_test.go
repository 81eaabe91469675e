package client

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestPacerIsBounded shows that a pace key function with unbounded results
// cannot grow the client's memory without end.
func TestPacerIsBounded(t *testing.T) {
	var p pacer
	now := time.Unix(1_700_000_000, 0)
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{
		"X-Ratelimit-Limit":     {"10"},
		"X-Ratelimit-Remaining": {"9"},
		"X-Ratelimit-Reset":     {strconv.FormatInt(now.Add(time.Minute).Unix(), 10)},
	}}
	for i := range 3 * maxPaceKeys {
		p.update("tenant-"+strconv.Itoa(i), resp, now)
	}
	n := 0
	p.states.Range(func(any, any) bool { n++; return true })
	if n > maxPaceKeys || p.n.Load() != int64(n) {
		t.Fatalf("%d keys kept (counter %d), want at most %d", n, p.n.Load(), maxPaceKeys)
	}
	if _, ok := p.states.Load("tenant-" + strconv.Itoa(3*maxPaceKeys-1)); !ok {
		t.Fatal("the newest key was forgotten")
	}
}
