package envelope_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/envelope"
)

type benchItem struct {
	SKU      string   `json:"sku"`
	Quantity int      `json:"quantity"`
	Note     string   `json:"note"`
	Tags     []string `json:"tags"`
}

type benchOrder struct {
	Customer string            `json:"customer"`
	Address  address           `json:"address"`
	Items    []benchItem       `json:"items"`
	Meta     map[string]string `json:"meta"`
}

func benchOrderBody(items int) []byte {
	var b strings.Builder
	b.WriteString(`{"customer":"Ada Lovelace","address":{"postcode":"2000"},"meta":{"channel":"web","ref":"r-1"},"items":[`)
	for i := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"sku-` + strconv.Itoa(i) + `","quantity":` + strconv.Itoa(i%7+1) + `,"note":"gift wrap, ribbon é","tags":["a","b"]}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkDecode measures envelope.Decode on a small and a larger body;
// the request is reused and only its body reader is reset in the loop.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{1, 100} {
		body := benchOrderBody(n)
		b.Run("items="+strconv.Itoa(n), func(b *testing.B) {
			rd := bytes.NewReader(body)
			req := httptest.NewRequest(http.MethodPost, "/orders", nil)
			req.Header.Set("Content-Type", "application/json")
			req.Body = io.NopCloser(rd)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(body)
				v, err := envelope.Decode[benchOrder](req)
				if err != nil || len(v.Items) != n {
					b.Fatal(err)
				}
			}
		})
	}
}
