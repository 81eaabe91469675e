package jsonw

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// marshal is encoding/json without HTML escaping, the reference.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\`, "<>&", "\x00\x1f\t\n\r\b\f", "\u2028\u2029", "\xff\xfe", "héllo ✓", "a\xc3",
		"a long run of safe ascii bytes, then a quote\" and <html> & more", strings.Repeat("abcdefgh", 9) + "\x01"} {
		want, _ := marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, "null"}, {"s", `"s"`}, {true, "true"}, {42, "42"}, {int64(-7), "-7"},
		{1.5, "1.5"}, {math.MaxInt64, "9223372036854775807"}, {[]string{"a"}, `["a"]`},
		{map[string]int{"b": 1, "a": 2}, `{"a":2,"b":1}`}, {json.RawMessage(`{ "x" : 1 }`), `{"x":1}`},
		{map[string]string{"h": "<b>&"}, `{"h":"<b>&"}`},
	}
	for _, tt := range tests {
		got, err := Value(nil, tt.v)
		if err != nil || string(got) != tt.want {
			t.Errorf("Value(%v) = %s, %v; want %s", tt.v, got, err, tt.want)
		}
	}
	if _, err := Value(nil, make(chan int)); err == nil {
		t.Error("Value(chan) gave no error")
	}
	if _, err := Value(nil, json.RawMessage(`{`)); err == nil {
		t.Error("Value of invalid RawMessage gave no error")
	}
}

func FuzzString(f *testing.F) {
	f.Add("hello")
	f.Add("\xff<\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		want, err := marshal(s)
		if err != nil {
			t.Skip()
		}
		if got := String(nil, s); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestCut(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"}, {"abcdef", 3, "abc…"}, {"ééé", 3, "é…"}, {"ééé", 4, "éé…"}, {"", 0, ""},
		// Invalid UTF-8 starts no rune: cut at n, not emptied.
		{"\xff\xa7\xa7\xa7\xa7\xa7\xa7\xa7", 5, "\xff\xa7\xa7\xa7\xa7…"},
		{"a\xa7\xa7\xa7\xa7\xa7\xa7", 6, "a\xa7\xa7\xa7\xa7\xa7…"},
	} {
		if got := Cut(tc.s, tc.n); got != tc.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

func BenchmarkString(b *testing.B) {
	for _, s := range []string{"Patient with ID 'pat_invalid123' does not exist", "short", "héllo wörld, ünïcode text with <html> & quotes \""} {
		b.Run(strconv.Itoa(len(s)), func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				buf = String(buf[:0], s)
			}
		})
	}
}
