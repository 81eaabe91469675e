package pagination

import (
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkSealOpen signs a cursor and verifies it with the request's
// binding already computed, which is what Build (sign) and Parse (verify,
// after reading the query) do per request.
func BenchmarkSealOpen(b *testing.B) {
	keys := MustNewKeyring(Key{ID: "k2", Secret: []byte("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")}, Key{ID: "k1", Secret: []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")})
	c := Cursor{Values: []any{time.Date(2025, 5, 2, 5, 59, 27, 344e6, time.UTC), "pat_20b04934-2ce5-4628-bc6e-ea1cd3b729e3"}, Pos: 1200}
	for _, bc := range []struct {
		name string
		opts []Option
	}{{"signed", nil}, {"encrypted", []Option{WithEncryption()}}} {
		b.Run(bc.name, func(b *testing.B) {
			p := MustNew(keys, append([]Option{WithBind("status", "sort"), WithTTL(time.Hour)}, bc.opts...)...)
			bind := p.binding(httptest.NewRequest("GET", "/patients?status=active&sort=created", nil))
			b.ReportAllocs()
			for b.Loop() {
				tok, err := p.encode(c, bind)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.decode(tok, "lastKey", bind); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
