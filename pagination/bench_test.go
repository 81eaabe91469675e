package pagination_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/apikit-go/apikit/pagination"
)

func benchPaginator(b *testing.B, opts ...pagination.Option) *pagination.Paginator {
	keys := newKeyring(pagination.Key{ID: "k2", Secret: secretB}, pagination.Key{ID: "k1", Secret: secretA})
	return newPager(keys, append([]pagination.Option{
		pagination.WithBind("status", "sort"), pagination.WithScope(tenantScope), pagination.WithTTL(time.Hour),
	}, opts...)...)
}

var benchCursor = pagination.Cursor{Values: []any{time.Date(2025, 5, 2, 5, 59, 27, 344e6, time.UTC), "pat_20b04934-2ce5-4628-bc6e-ea1cd3b729e3"}, Pos: 1200}

// checkBenchCursor fails b unless c is benchCursor, decoded.
func checkBenchCursor(b *testing.B, c pagination.Cursor) {
	if len(c.Values) != 2 || c.Pos != benchCursor.Pos || c.Backward {
		b.Fatalf("decoded %+v", c)
	}
	if t, ok := c.Values[0].(time.Time); !ok || !t.Equal(benchCursor.Values[0].(time.Time)) || c.Values[1] != benchCursor.Values[1] {
		b.Fatalf("decoded values %v", c.Values)
	}
}

// BenchmarkCursorRoundTrip signs a cursor and verifies it, as one list
// request does for its next page and the following request for its own.
func BenchmarkCursorRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []pagination.Option
	}{{"signed", nil}, {"encrypted", []pagination.Option{pagination.WithEncryption()}}} {
		b.Run(bc.name, func(b *testing.B) {
			p := benchPaginator(b, bc.opts...)
			r := request("/patients?status=active&sort=created", "tenant_1")
			b.ReportAllocs()
			for b.Loop() {
				tok, err := p.EncodeCursor(r, benchCursor)
				if err != nil {
					b.Fatal(err)
				}
				c, err := p.DecodeCursor(r, tok)
				if err != nil {
					b.Fatal(err)
				}
				checkBenchCursor(b, c)
			}
		})
	}
}

// BenchmarkBaselineHMAC is the floor of a cursor round trip: two
// HMAC-SHA256 computations over a 100-byte message with a keyed, reset
// hash, as crypto/hmac allows.
func BenchmarkBaselineHMAC(b *testing.B) {
	msg := make([]byte, 100)
	h := hmac.New(sha256.New, secretA)
	var sum []byte
	b.ReportAllocs()
	for b.Loop() {
		for range 2 {
			h.Reset()
			h.Write(msg)
			sum = h.Sum(sum[:0])
		}
	}
}

func BenchmarkCursorSign(b *testing.B) {
	p := benchPaginator(b)
	r := request("/patients?status=active&sort=created", "tenant_1")
	b.ReportAllocs()
	for b.Loop() {
		if tok, err := p.EncodeCursor(r, benchCursor); err != nil || len(tok) < 100 {
			b.Fatal(tok, err)
		}
	}
}

func BenchmarkCursorVerify(b *testing.B) {
	p := benchPaginator(b)
	r := request("/patients?status=active&sort=created", "tenant_1")
	tok, _ := p.EncodeCursor(r, benchCursor)
	b.ReportAllocs()
	for b.Loop() {
		c, err := p.DecodeCursor(r, tok)
		if err != nil {
			b.Fatal(err)
		}
		checkBenchCursor(b, c)
	}
}

// BenchmarkParse parses a request's paging parameters: the first page,
// a page by cursor, and (for scale) net/url's own query parsing.
func BenchmarkParse(b *testing.B) {
	p := benchPaginator(b)
	r0 := request("/patients?status=active&sort=created", "tenant_1")
	tok, _ := p.EncodeCursor(r0, benchCursor)
	records := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	for _, bc := range []struct {
		name   string
		p      *pagination.Paginator
		target string
	}{
		{"baseline-url.Query", nil, "/patients?status=active&sort=created&limit=20&lastKey=" + url.QueryEscape(tok)},
		{"first-page", p, "/patients?status=active&sort=created&limit=20"},
		{"cursor", p, "/patients?status=active&sort=created&limit=20&lastKey=" + url.QueryEscape(tok)},
		{"records-id", records, "/patients?limit=20&starting_after=pat_20b04934"},
		{"bad-limit", p, "/patients?limit=abc"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, bc.target, nil)
			r.Header.Set("X-Tenant", "tenant_1")
			b.ReportAllocs()
			for b.Loop() {
				if bc.p == nil {
					_ = r.URL.Query()
					continue
				}
				ps, err := bc.p.Parse(r)
				if (err != nil) != (bc.name == "bad-limit") {
					b.Fatal(err)
				}
				if err == nil && (ps.Limit != 20 || (ps.Cursor != nil) != (bc.name == "cursor") || (ps.ID != "") != (bc.name == "records-id")) {
					b.Fatalf("parsed %+v", ps)
				}
			}
		})
	}
}

// BenchmarkBuild builds a page of 20 rows with both cursors.
func BenchmarkBuild(b *testing.B) {
	p := benchPaginator(b)
	store := newStore(100, 5)
	r := request("/patients?status=active&sort=created&limit=20", "tenant_1")
	ps0, _ := p.Parse(r)
	rows := store.list(nil, false, 0, 21)
	_, page, _ := pagination.Build(ps0, rows, keyOf)
	r = request("/patients?status=active&sort=created&limit=20&lastKey="+url.QueryEscape(page.NextCursor), "tenant_1")
	ps, err := p.Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	rows = store.list(ps.After(), false, 0, ps.Fetch())
	b.ReportAllocs()
	for b.Loop() {
		items, page, err := pagination.Build(ps, rows, keyOf)
		if err != nil || len(items) != 20 || page.NextCursor == "" || page.PrevCursor == "" {
			b.Fatal(len(items), page, err)
		}
	}
}
