package pagination

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkSealOpen signs a cursor and verifies it with the request's
// binding already computed, which is what Build (sign) and Parse (verify,
// after reading the query) do per request.
func BenchmarkSealOpen(b *testing.B) {
	keys := testKeyring(Key{ID: "k2", Secret: []byte("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")}, Key{ID: "k1", Secret: []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")})
	c := Cursor{Values: []any{time.Date(2025, 5, 2, 5, 59, 27, 344e6, time.UTC), "pat_20b04934-2ce5-4628-bc6e-ea1cd3b729e3"}, Pos: 1200}
	for _, bc := range []struct {
		name string
		opts []Option
	}{{"signed", nil}, {"encrypted", []Option{WithEncryption()}}} {
		b.Run(bc.name, func(b *testing.B) {
			p := testPager(keys, append([]Option{WithBind("status", "sort"), WithTTL(time.Hour)}, bc.opts...)...)
			bind := p.binding(httptest.NewRequest("GET", "/patients?status=active&sort=created", nil))
			b.ReportAllocs()
			for b.Loop() {
				tok, err := p.encode(c, bind)
				if err != nil {
					b.Fatal(err)
				}
				got, err := p.decode(tok, "lastKey", bind)
				if err != nil {
					b.Fatal(err)
				}
				if len(got.Values) != 2 || got.Pos != c.Pos || got.Values[1] != c.Values[1] || !got.Values[0].(time.Time).Equal(c.Values[0].(time.Time)) {
					b.Fatalf("decoded %+v, want %+v", got, c)
				}
			}
		})
	}
}

// BenchmarkBinding computes what a cursor is bound to (route, tenant and
// two bound filters), which Parse does once per request and EncodeCursor
// and DecodeCursor each do for the request they are given.
func BenchmarkBinding(b *testing.B) {
	p := testPager(testKeyring(Key{ID: "k", Secret: []byte("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")}), WithBind("status", "sort"), WithScope(func(r *http.Request) string { return r.Header.Get("X-Tenant") }))
	r := httptest.NewRequest("GET", "/patients?status=active&sort=created&limit=20", nil)
	r.Header.Set("X-Tenant", "tenant_1")
	want := p.binding(r)
	b.ReportAllocs()
	for b.Loop() {
		if p.binding(r) != want {
			b.Fatal("binding changed")
		}
	}
}
