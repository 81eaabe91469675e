package pagination_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/pagination"
)

func TestLink(t *testing.T) {
	keys := testKeys(t)
	std := newPager(keys)
	records := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	based := newPager(keys, pagination.WithBaseURL("https://api.example.com/v1/"))
	tests := []struct {
		name    string
		p       *pagination.Paginator
		target  string
		tls     bool
		headers map[string]string
		page    pagination.Page
		want    string
	}{
		{
			name:   "no links",
			p:      std,
			target: "/items?limit=5",
			page:   pagination.Page{Count: 2},
			want:   "",
		},
		{
			name:   "next only keeps order and limit",
			p:      std,
			target: "/items?status=open&limit=5&sort=-created",
			page:   pagination.Page{NextCursor: "abc_DEF-1", HasNext: true},
			want:   `</items?status=open&limit=5&sort=-created&lastKey=abc_DEF-1>; rel="next"`,
		},
		{
			name:   "old cursor replaced, prev and first",
			p:      std,
			target: "/items?lastKey=OLD&q=a+b%26c&limit=5",
			tls:    true,
			page:   pagination.Page{NextCursor: "N", PrevCursor: "P", HasNext: true, HasPrev: true},
			want:   `</items?q=a+b%26c&limit=5&lastKey=N>; rel="next", </items?q=a+b%26c&limit=5&lastKey=P>; rel="prev", </items?q=a+b%26c&limit=5>; rel="first"`,
		},
		{
			name:   "characters unsafe in a Link header are escaped",
			p:      std,
			target: "/items?q=%3E%3B%20rel%3D%22x%22%2C%3Cevil%3E",
			page:   pagination.Page{NextCursor: "N", HasNext: true},
			want:   `</items?q=%3E%3B+rel%3D%22x%22%2C%3Cevil%3E&lastKey=N>; rel="next"`,
		},
		{
			name:   "escaped path kept",
			p:      std,
			target: "/folders/a%2Fb/items",
			page:   pagination.Page{NextCursor: "N", HasNext: true},
			want:   `</folders/a%2Fb/items?lastKey=N>; rel="next"`,
		},
		{
			name:   "records style uses ids",
			p:      records,
			target: "/records?starting_after=obj_1&limit=2&lastKey=keep",
			page:   pagination.Page{NextCursor: "obj_3", PrevCursor: "obj_2", HasNext: true, HasPrev: true},
			want:   `</records?limit=2&lastKey=keep&starting_after=obj_3>; rel="next", </records?limit=2&lastKey=keep&ending_before=obj_2>; rel="prev", </records?limit=2&lastKey=keep>; rel="first"`,
		},
		{
			name:    "hostile Host and forwarded headers never reach the links",
			p:       std,
			target:  "http://evil.example/items",
			headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"},
			page:    pagination.Page{NextCursor: "N", HasNext: true},
			want:    `</items?lastKey=N>; rel="next"`,
		},
		{
			name:    "base URL instead of the Host header",
			p:       based,
			target:  "http://evil.example/items?limit=2",
			headers: map[string]string{"X-Forwarded-Host": "evil.example"},
			page:    pagination.Page{NextCursor: "N", HasNext: true},
			want:    `<https://api.example.com/v1/items?limit=2&lastKey=N>; rel="next"`,
		},
		{
			name:   "a path that looks like another host stays a path",
			p:      std,
			target: "http://example.com//evil.example/items",
			page:   pagination.Page{NextCursor: "N", HasNext: true},
			want:   `</.//evil.example/items?lastKey=N>; rel="next"`,
		},
		{
			name:   "offset page links first",
			p:      std,
			target: "/items?offset=20&limit=10",
			page:   pagination.Page{Offset: 20, NextCursor: "N", HasNext: true},
			want:   `</items?limit=10&lastKey=N>; rel="next", </items?limit=10>; rel="first"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			tt.p.SetLink(rec, r, tt.page)
			if got, ok := rec.Header()["Link"]; ok != (tt.want != "") || (ok && got[0] != tt.want) {
				t.Fatalf("Link\n got %q\nwant %s", got, tt.want)
			}
		})
	}
}

// TestLinkFollowsAcrossPages follows rel="next" URLs from a real handler
// (relative references) and checks that every row is reached.
func TestLinkFollowsAcrossPages(t *testing.T) {
	store := newStore(11, 2)
	p := newPager(testKeys(t), pagination.WithBind("status"))
	target := "http://example.com/items?status=open&limit=4"
	var got []row
	for range 10 {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		items, page, err := serve(p, store, r)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, items...)
		next := ""
		rec := httptest.NewRecorder()
		p.SetLink(rec, r, page)
		for _, l := range splitLinks(rec.Header().Get("Link")) {
			if l.rel == "next" {
				next = "http://example.com" + l.url
			}
		}
		if next == "" {
			break
		}
		target = next
	}
	if len(got) != 11 || got[0] != store.rows[0] || got[10] != store.rows[10] {
		t.Fatalf("followed links to %v", idsOf(got))
	}
}

type link struct{ url, rel string }

func splitLinks(h string) []link {
	var out []link
	for h != "" {
		end := len(h)
		for i := 0; i < len(h); i++ {
			if h[i] == ',' && i+1 < len(h) && h[i+1] == ' ' && i+2 < len(h) && h[i+2] == '<' {
				end = i
				break
			}
		}
		part := h[:end]
		h = h[min(end+2, len(h)):]
		u := part[1:strings.IndexByte(part, '>')]
		rel := part[strings.IndexByte(part, '"')+1 : len(part)-1]
		out = append(out, link{u, rel})
	}
	return out
}

func TestBaseURL(t *testing.T) {
	for _, base := range []string{"", "api.example.com", "ftp://api.example.com", "https://", "https://u:p@api.example.com", "https://api.example.com/?x=1", "https://api.example.com/#f"} {
		if _, err := pagination.New(nil, pagination.WithStyle(pagination.RecordsStyle), pagination.WithBaseURL(base)); err == nil || !strings.HasPrefix(err.Error(), "pagination: base URL") {
			t.Errorf("base %q: %v", base, err)
		}
	}
}
