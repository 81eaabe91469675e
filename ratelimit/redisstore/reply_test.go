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
		reply   []any
		n       int
		now     int64
		results []ratelimit.Result
		wantErr bool
	}{
		{"no items", []any{int64(1700000000), int64(5000)}, 0, 1700000000000005000, nil, false},
		{"two items", []any{int64(1700000000), int64(5000), int64(1), int64(1700000001), int64(0), int64(0), int64(1700000000), int64(999999999)}, 2,
			1700000000000005000, []ratelimit.Result{{Allowed: true, TAT: 1700000001000000000}, {Allowed: false, TAT: 1700000000999999999}}, false},
		{"missing item", []any{int64(1700000000), int64(5000)}, 1, 0, nil, true},
		{"extra value", []any{int64(1700000000), int64(5000), int64(1)}, 0, 0, nil, true},
		{"nanoseconds out of range", []any{int64(1700000000), int64(1000000000)}, 0, 0, nil, true},
		{"negative nanoseconds", []any{int64(1700000000), int64(-1)}, 0, 0, nil, true},
		{"seconds overflow", []any{int64(9223372037), int64(0)}, 0, 0, nil, true},
		{"not an integer", []any{"1700000000", int64(0)}, 0, 0, nil, true},
		{"nil", nil, 0, 0, nil, true},
		{"allowed is not 0 or 1", []any{int64(1700000000), int64(5000), int64(2), int64(1700000001), int64(0)}, 1, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := make([]ratelimit.Result, tt.n)
			now, err := parseReply(tt.reply, res)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "redisstore: ") {
					t.Fatalf("error %q lacks the package prefix", err)
				}
				return
			}
			if now != tt.now || fmt.Sprint(res) != fmt.Sprint(tt.results) {
				t.Fatalf("got %d %v, want %d %v", now, res, tt.now, tt.results)
			}
		})
	}
}

// FuzzParseReply checks that any reply of integers is either rejected or
// read back exactly as the script would have written it.
func FuzzParseReply(f *testing.F) {
	f.Add(int64(1700000000), int64(5000), int64(1), int64(1700000001), int64(0), true)
	f.Add(int64(-1), int64(999999999), int64(0), int64(-5), int64(3), false)
	f.Fuzz(func(t *testing.T, s, ns, ok, ts, tns int64, oneItem bool) {
		reply := []any{s, ns}
		res := make([]ratelimit.Result, 0, 1)
		if oneItem {
			reply = append(reply, ok, ts, tns)
			res = res[:1]
		}
		now, err := parseReply(reply, res)
		if err != nil {
			return
		}
		split := func(v int64) (any, any) {
			s, ns := v/1e9, v%1e9
			if ns < 0 {
				s, ns = s-1, ns+1e9
			}
			return s, ns
		}
		a, b := split(now)
		again := []any{a, b}
		for _, r := range res {
			allowed := int64(0)
			if r.Allowed {
				allowed = 1
			}
			a, b := split(r.TAT)
			again = append(again, allowed, a, b)
		}
		if fmt.Sprint(again) != fmt.Sprint(reply) {
			t.Fatalf("%v read as %d %v, which writes back as %v", reply, now, res, again)
		}
	})
}
