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
	std := pagination.MustNew(keys)
	records := pagination.MustNew(nil, pagination.WithStyle(pagination.RecordsStyle))
	fwd := pagination.MustNew(keys, pagination.WithForwardedHeaders())
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
			want:   `<http://example.com/items?status=open&limit=5&sort=-created&lastKey=abc_DEF-1>; rel="next"`,
		},
		{
			name:   "old cursor replaced, prev and first",
			p:      std,
			target: "/items?lastKey=OLD&q=a+b%26c&limit=5",
			tls:    true,
			page:   pagination.Page{NextCursor: "N", PrevCursor: "P", HasNext: true, HasPrev: true},
			want:   `<https://example.com/items?q=a+b%26c&limit=5&lastKey=N>; rel="next", <https://example.com/items?q=a+b%26c&limit=5&lastKey=P>; rel="prev", <https://example.com/items?q=a+b%26c&limit=5>; rel="first"`,
		},
		{
			name:   "characters unsafe in a Link header are escaped",
			p:      std,
			target: "/items?q=%3E%3B%20rel%3D%22x%22%2C%3Cevil%3E",
			page:   pagination.Page{NextCursor: "N", HasNext: true},
			want:   `<http://example.com/items?q=%3E%3B+rel%3D%22x%22%2C%3Cevil%3E&lastKey=N>; rel="next"`,
		},
		{
			name:   "escaped path kept",
			p:      std,
			target: "/folders/a%2Fb/items",
			page:   pagination.Page{NextCursor: "N", HasNext: true},
			want:   `<http://example.com/folders/a%2Fb/items?lastKey=N>; rel="next"`,
		},
		{
			name:   "records style uses ids",
			p:      records,
			target: "/records?starting_after=obj_1&limit=2&lastKey=keep",
			page:   pagination.Page{NextCursor: "obj_3", PrevCursor: "obj_2", HasNext: true, HasPrev: true},
			want:   `<http://example.com/records?limit=2&lastKey=keep&starting_after=obj_3>; rel="next", <http://example.com/records?limit=2&lastKey=keep&ending_before=obj_2>; rel="prev", <http://example.com/records?limit=2&lastKey=keep>; rel="first"`,
		},
		{
			name:    "forwarded headers ignored by default",
			p:       std,
			target:  "/items",
			headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.org"},
			page:    pagination.Page{NextCursor: "N", HasNext: true},
			want:    `<http://example.com/items?lastKey=N>; rel="next"`,
		},
		{
			name:    "forwarded headers when trusted",
			p:       fwd,
			target:  "/items",
			headers: map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "api.example.org"},
			page:    pagination.Page{NextCursor: "N", HasNext: true},
			want:    `<https://api.example.org/items?lastKey=N>; rel="next"`,
		},
		{
			name:    "bad forwarded host ignored",
			p:       fwd,
			target:  "/items",
			headers: map[string]string{"X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "evil.com/<x>"},
			page:    pagination.Page{NextCursor: "N", HasNext: true},
			want:    `<http://example.com/items?lastKey=N>; rel="next"`,
		},
		{
			name:   "offset page links first",
			p:      std,
			target: "/items?offset=20&limit=10",
			page:   pagination.Page{Offset: 20, NextCursor: "N", HasNext: true},
			want:   `<http://example.com/items?limit=10&lastKey=N>; rel="next", <http://example.com/items?limit=10>; rel="first"`,
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
			if got := tt.p.Link(r, tt.page); got != tt.want {
				t.Fatalf("Link\n got %s\nwant %s", got, tt.want)
			}
			rec := httptest.NewRecorder()
			tt.p.SetLink(rec, r, tt.page)
			if got, ok := rec.Header()["Link"]; ok != (tt.want != "") || (ok && got[0] != tt.want) {
				t.Fatalf("SetLink header %q", got)
			}
		})
	}
}

// TestLinkFollowsAcrossPages follows rel="next" URLs from a real handler
// and checks that every row is reached.
func TestLinkFollowsAcrossPages(t *testing.T) {
	store := newStore(11, 2)
	p := pagination.MustNew(testKeys(t), pagination.WithBind("status"))
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
		for _, l := range splitLinks(p.Link(r, page)) {
			if l.rel == "next" {
				next = l.url
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
