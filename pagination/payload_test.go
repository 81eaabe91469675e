package pagination

import (
	"testing"
	"time"
)

// FuzzPayload reads arbitrary signed content, as if a signing key had
// leaked: parsing never panics, and what parses re-encodes to the same
// bytes.
func FuzzPayload(f *testing.F) {
	for _, c := range []Cursor{
		{Values: []any{int64(1), "a"}, Pos: -1},
		{Values: []any{"x", 2.5, true, false, nil, []byte{1}, time.Unix(5, 6).UTC(), uint64(7)}, Backward: true, Pos: 9},
	} {
		b, err := appendPayload(nil, &payload{cursor: c, expires: 42})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePayload(b)
		if err != nil {
			return
		}
		again, err := appendPayload(nil, &p)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", p, err)
		}
		if _, err := parsePayload(again); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
	})
}

func TestParseDigits(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"007", 7, true}, {"999999999", 999999999, true},
		{"1000000000", 1e9, true}, {"123456789012345678901234567890", 1e9, true},
		{"", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"1 ", 0, false}, {"1_000", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDigits(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseDigits(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
