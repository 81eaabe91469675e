package pagination

import (
	"bytes"
	"strings"
	"testing"
)

// refFilter is the filter digest input spelled out: one scan of the query
// per bound parameter.
func refFilter(bind []string, rawQuery string) []byte {
	m := []byte{tagFilterDigest}
	for _, name := range bind {
		m = appendField(m, name)
		eachParam(rawQuery, func(k, v string) {
			if k == name {
				m = append(m, 1)
				m = appendField(m, v)
			}
		})
		m = append(m, 0)
	}
	return m
}

// TestAppendFilter shows that the one-pass collection of bound values
// gives the same digest input as scanning the query once per parameter,
// also past maxBoundValues values and with a parameter bound twice.
func TestAppendFilter(t *testing.T) {
	many := strings.Repeat("status=a&sort=b&", maxBoundValues/2) // maxBoundValues values
	tests := []struct {
		name  string
		bind  []string
		query string
	}{
		{"none bound", nil, "status=active"},
		{"absent", []string{"status"}, "limit=2"},
		{"in bind order", []string{"status", "sort"}, "sort=created&status=active&limit=2"},
		{"repeated values keep query order", []string{"status", "sort"}, "status=b&sort=x&status=a"},
		{"escaped key and value", []string{"q s"}, "q+s=Smith+%26+Sons&q%20s=x"},
		{"empty value", []string{"status"}, "status=&status"},
		{"bound twice", []string{"status", "status"}, "status=a"},
		{"exactly the maximum", []string{"status", "sort"}, many[:len(many)-1]},
		{"past the maximum", []string{"status", "sort"}, many + "status=z"},
		{"bound twice past the maximum", []string{"status", "status"}, strings.Repeat("status=a&", maxBoundValues/2+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Paginator{bind: tt.bind}
			got := p.appendFilter([]byte{tagFilterDigest}, tt.query)
			if want := refFilter(tt.bind, tt.query); !bytes.Equal(got, want) {
				t.Fatalf("appendFilter = %q, want %q", got, want)
			}
		})
	}
}
