package pagination

import (
	"net/url"
	"reflect"
	"testing"
)

// FuzzEachParam checks eachParam against url.ParseQuery: the same values
// for every key, in the same order.
func FuzzEachParam(f *testing.F) {
	for _, s := range []string{
		"", "a=1&b=2&a=3", "q=Smith+%26+Sons&limit=2", "a=1;b=2&c=3", "=x&y=&&z", "a%zz=1&b=%41",
		"k+e%79=v=w", "%", "a&b=1&", "x=1&x=2&x=%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		want, _ := url.ParseQuery(raw)
		got := url.Values{}
		eachParam(raw, func(k, v string) { got[k] = append(got[k], v) })
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("eachParam(%q) = %v, url.ParseQuery = %v", raw, got, want)
		}
	})
}
