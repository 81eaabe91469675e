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
