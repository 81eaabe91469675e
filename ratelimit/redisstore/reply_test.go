package redisstore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		n       int
		now     int64
		results []ratelimit.Result
		wantErr bool
	}{
		{"no items", "1700000000 5000", 0, 1700000000000005000, nil, false},
		{"two items", "1700000000 5000 1 1700000001 0 0 1700000000 999999999", 2, 1700000000000005000,
			[]ratelimit.Result{{Allowed: true, TAT: 1700000001000000000}, {Allowed: false, TAT: 1700000000999999999}}, false},
		{"missing item", "1700000000 5000", 1, 0, nil, true},
		{"extra field", "1700000000 5000 1", 0, 0, nil, true},
		{"nanoseconds out of range", "1700000000 1000000000", 0, 0, nil, true},
		{"negative nanoseconds", "1700000000 -1", 0, 0, nil, true},
		{"seconds overflow", "9223372037 0", 0, 0, nil, true},
		{"not a number", "abc 0", 0, 0, nil, true},
		{"empty", "", 0, 0, nil, true},
		{"allowed is not 0 or 1", "1700000000 5000 2 1700000001 0", 1, 0, nil, true},
		{"double space", "1700000000  5000", 0, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := make([]ratelimit.Result, tt.n)
			now, err := parseReply(tt.reply, res)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if now != tt.now || fmt.Sprint(res) != fmt.Sprint(tt.results) {
				t.Fatalf("got %d %v, want %d %v", now, res, tt.now, tt.results)
			}
		})
	}
}

// FuzzParseReply checks that any reply is either rejected or read back
// exactly as the script would have written it.
func FuzzParseReply(f *testing.F) {
	f.Add("1700000000 5000 1 1700000001 0", 1)
	f.Add("1700000000 5000", 0)
	f.Add("-1 999999999 0 -5 3", 1)
	f.Fuzz(func(t *testing.T, reply string, n int) {
		n = max(0, min(n, 8))
		res := make([]ratelimit.Result, n)
		now, err := parseReply(reply, res)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "redisstore: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			return
		}
		// Writing the values back must give a reply that reads the same.
		var b strings.Builder
		split := func(v int64) (int64, int64) {
			s, ns := v/1e9, v%1e9
			if ns < 0 {
				s, ns = s-1, ns+1e9
			}
			return s, ns
		}
		s, ns := split(now)
		fmt.Fprintf(&b, "%d %d", s, ns)
		for _, r := range res {
			ok := 0
			if r.Allowed {
				ok = 1
			}
			s, ns := split(r.TAT)
			fmt.Fprintf(&b, " %d %d %d", ok, s, ns)
		}
		again := make([]ratelimit.Result, n)
		now2, err := parseReply(b.String(), again)
		if err != nil || now2 != now || fmt.Sprint(again) != fmt.Sprint(res) {
			t.Fatalf("%q read as %d %v; written back as %q it reads %d %v (%v)", reply, now, res, b.String(), now2, again, err)
		}
	})
}
