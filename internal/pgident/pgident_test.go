package pgident

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema bool
		suffix int
		want   []string // nil: refused
	}{
		{"keys", true, 0, []string{"keys"}},
		{"app.keys", true, 0, []string{"app", "keys"}},
		{"app.keys", false, 0, nil},
		{"a.b.c", true, 0, nil}, // "b.c" is no identifier
		{"", true, 0, nil},
		{"1keys", true, 0, nil},
		{"keys;drop", true, 0, nil},
		{`ke"ys`, true, 0, nil},
		{"kéys", true, 0, nil},
		{"app.", true, 0, nil},
		{strings.Repeat("k", 63), true, 0, []string{strings.Repeat("k", 63)}},
		{strings.Repeat("k", 64), true, 0, nil},
		{strings.Repeat("k", 48), true, 15, []string{strings.Repeat("k", 48)}},
		{strings.Repeat("k", 49), true, 15, nil},
	} {
		got, err := Split(tc.name, tc.schema, tc.suffix)
		if !slices.Equal(got, tc.want) || (err == nil) != (tc.want != nil) {
			t.Errorf("Split(%q, %v, %d) = %q, %v; want %q", tc.name, tc.schema, tc.suffix, got, err, tc.want)
		}
	}
}
