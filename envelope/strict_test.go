package envelope

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkStrictCheck measures the duplicate-member and UTF-8 pass alone,
// on the bodies of BenchmarkDecode (compare with its ns/op).
func BenchmarkStrictCheck(b *testing.B) {
	for _, n := range []int{1, 100} {
		var sb strings.Builder
		sb.WriteString(`{"customer":"Ada Lovelace","address":{"postcode":"2000"},"meta":{"channel":"web","ref":"r-1"},"items":[`)
		for i := range n {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`{"sku":"sku-` + strconv.Itoa(i) + `","quantity":` + strconv.Itoa(i%7+1) + `,"note":"gift wrap, ribbon é","tags":["a","b"]}`)
		}
		sb.WriteString(`]}`)
		body := []byte(sb.String())
		b.Run("items="+strconv.Itoa(n), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if p := strictCheck(body); p != nil {
					b.Fatal(p)
				}
			}
		})
	}
}

// The Content-Type check accepts what it always did, and the usual
// "application/json" costs no allocation.
func TestCheckContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		"": true, "application/json": true, "application/json; charset=utf-8": true,
		"Application/JSON": true, "application/problem+json": true, "application/jsonx": false,
		"text/json": false, "application/json;": true, "text/plain": false,
	} {
		if err := checkContentType(ct); (err == nil) != ok {
			t.Errorf("checkContentType(%q) = %v, want ok %v", ct, err, ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = checkContentType("application/json") }); n != 0 {
		t.Errorf("checkContentType(application/json) allocates %v times", n)
	}
}
