package rateredis

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/ratelimit"
)

// packed builds a script reply the way struct.pack does: each instant as
// a big-endian int64 of seconds and int32 of nanoseconds, each flag as one
// byte.
func packed(parts ...any) string {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case [2]int64:
			b = binary.BigEndian.AppendUint64(b, uint64(v[0]))
			b = binary.BigEndian.AppendUint32(b, uint32(v[1]))
		case byte:
			b = append(b, v)
		}
	}
	return string(b)
}

func TestParseReply(t *testing.T) {
	now := [2]int64{1700000000, 5000}
	tests := []struct {
		name    string
		reply   string
		n       int
		now     int64
		results []ratelimit.Result
		wantErr bool
	}{
		{"no items", packed(now), 0, 1700000000000005000, nil, false},
		{"two items", packed(now, byte(1), [2]int64{1700000001, 0}, byte(0), [2]int64{1700000000, 999999999}), 2,
			1700000000000005000, []ratelimit.Result{{Allowed: true, TAT: 1700000001000000000}, {Allowed: false, TAT: 1700000000999999999}}, false},
		{"missing item", packed(now), 1, 0, nil, true},
		{"extra byte", packed(now, byte(1)), 0, 0, nil, true},
		{"nanoseconds out of range", packed([2]int64{1700000000, 1000000000}), 0, 0, nil, true},
		{"negative nanoseconds", packed([2]int64{1700000000, -1}), 0, 0, nil, true},
		{"seconds overflow", packed([2]int64{9223372037, 0}), 0, 0, nil, true},
		{"decimal text", "1700000000000005000", 0, 0, nil, true},
		{"empty", "", 0, 0, nil, true},
		{"allowed is not 0 or 1", packed(now, byte(2), [2]int64{1700000001, 0}), 1, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := make([]ratelimit.Result, tt.n)
			now, err := parseReply(tt.reply, res)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "rateredis: ") {
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

// FuzzParseReply checks that any reply is either rejected or read back
// exactly as the script would have written it.
func FuzzParseReply(f *testing.F) {
	f.Add(packed([2]int64{1700000000, 5000}, byte(1), [2]int64{1700000001, 0}), 1)
	f.Add(packed([2]int64{-1, 999999999}), 0)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, reply string, n int) {
		if n < 0 || n > 4 {
			return
		}
		res := make([]ratelimit.Result, n)
		now, err := parseReply(reply, res)
		if err != nil {
			return
		}
		split := func(v int64) [2]int64 {
			s, ns := v/1e9, v%1e9
			if ns < 0 {
				s, ns = s-1, ns+1e9
			}
			return [2]int64{s, ns}
		}
		again := []any{split(now)}
		for _, r := range res {
			allowed := byte(0)
			if r.Allowed {
				allowed = 1
			}
			again = append(again, allowed, split(r.TAT))
		}
		if packed(again...) != reply {
			t.Fatalf("%q read as %d %v, which writes back as %q", reply, now, res, packed(again...))
		}
	})
}
