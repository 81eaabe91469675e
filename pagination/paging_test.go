package pagination_test

import (
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/apikit-go/apikit/pagination"
)

func testKeys(t testing.TB) *pagination.Keyring {
	t.Helper()
	return newKeyring(pagination.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
}

func idsOf(rows []row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// TestWalkEveryLimit pages a list with many equal sort values forwards and
// then backwards, at every limit, in both styles, and checks that every row
// is visited exactly once, in order, and that each backward page is the
// rows just before its cursor.
func TestWalkEveryLimit(t *testing.T) {
	const n = 23
	store := newStore(n, 3) // scores 0,1,2: ~8 rows per score
	all := store.rows
	styles := []struct {
		name       string
		opts       []pagination.Option
		next, prev string
		offsets    bool
	}{
		{"standard", []pagination.Option{pagination.WithBind("status")}, "lastKey", "lastKey", true},
		{"standard-encrypted", []pagination.Option{pagination.WithBind("status"), pagination.WithEncryption()}, "lastKey", "lastKey", true},
		{"records", []pagination.Option{pagination.WithStyle(pagination.RecordsStyle)}, "starting_after", "ending_before", false},
	}
	for _, st := range styles {
		t.Run(st.name, func(t *testing.T) {
			p := newPager(testKeys(t), st.opts...)
			for limit := 1; limit <= n+1; limit++ {
				base := "/items?status=open&limit=" + strconv.Itoa(limit)
				// Forwards.
				var got []row
				var last []row
				var lastPage pagination.Page
				target := base
				for i := 0; ; i++ {
					if i > n+1 {
						t.Fatalf("limit %d: forward walk does not end", limit)
					}
					items, page := get(t, p, store, target)
					if len(items) > limit || page.Count != len(items) || page.Limit != limit {
						t.Fatalf("limit %d: page of %d items, count %d, limit %d", limit, len(items), page.Count, page.Limit)
					}
					if want := all[len(got):min(len(got)+limit, n)]; !slices.Equal(items, want) {
						t.Fatalf("limit %d: forward page at %d = %v, want %v", limit, len(got), idsOf(items), idsOf(want))
					}
					if st.offsets && page.Offset != len(got) {
						t.Fatalf("limit %d: offset %d, want %d", limit, page.Offset, len(got))
					}
					got = append(got, items...)
					if page.HasNext != (len(got) < n) || page.Backward || pagination.RecordsOf(items, page).HasMore != page.HasNext {
						t.Fatalf("limit %d: hasNext %v backward %v after %d rows", limit, page.HasNext, page.Backward, len(got))
					}
					if page.FirstID != items[0].ID || page.LastID != items[len(items)-1].ID {
						t.Fatalf("limit %d: first/last %s/%s", limit, page.FirstID, page.LastID)
					}
					last, lastPage = items, page
					if page.NextCursor == "" {
						break
					}
					target = base + "&" + st.next + "=" + url.QueryEscape(page.NextCursor)
				}
				if !slices.Equal(got, all) {
					t.Fatalf("limit %d: forward walk %v", limit, idsOf(got))
				}
				// Backwards from the last page.
				end := n - len(last)
				cur := lastPage.PrevCursor
				if (end > 0) != (cur != "") {
					t.Fatalf("limit %d: last page starts at %d, prev cursor %q", limit, end, cur)
				}
				for cur != "" {
					items, page := get(t, p, store, base+"&"+st.prev+"="+url.QueryEscape(cur))
					want := all[max(0, end-limit):end]
					if !slices.Equal(items, want) {
						t.Fatalf("limit %d: backward page before %d = %v, want %v", limit, end, idsOf(items), idsOf(want))
					}
					end -= len(items)
					if page.HasPrev != (end > 0) || !page.Backward || pagination.RecordsOf(items, page).HasMore != page.HasPrev || !page.HasNext {
						t.Fatalf("limit %d: backward page at %d: hasPrev %v backward %v hasNext %v", limit, end, page.HasPrev, page.Backward, page.HasNext)
					}
					if st.offsets && page.Offset != end {
						t.Fatalf("limit %d: backward offset %d, want %d", limit, page.Offset, end)
					}
					// Turning round goes back to the rows after this page.
					fwd, _ := get(t, p, store, base+"&"+st.next+"="+url.QueryEscape(page.NextCursor))
					if wantF := all[end+len(items) : min(end+len(items)+limit, n)]; !slices.Equal(fwd, wantF) {
						t.Fatalf("limit %d: forward from backward page = %v, want %v", limit, idsOf(fwd), idsOf(wantF))
					}
					cur = page.PrevCursor
				}
				if end != 0 {
					t.Fatalf("limit %d: backward walk stopped at %d", limit, end)
				}
			}
		})
	}
}

func TestBuildEmptyAndTotals(t *testing.T) {
	p := newPager(testKeys(t), pagination.WithNames(pagination.Names{Total: "include_total"}))
	tests := []struct {
		name      string
		store     *memStore
		target    string
		wantCount int
		wantTotal *int64
		wantNext  bool
	}{
		{"empty list", &memStore{}, "/items", 0, nil, false},
		{"empty list with total", &memStore{}, "/items?include_total=true", 0, ptr(int64(0)), false},
		{"total not asked", newStore(5, 2), "/items?limit=2&include_total=false", 2, nil, true},
		{"total asked", newStore(5, 2), "/items?limit=2&include_total=1", 2, ptr(int64(5)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, page := get(t, p, tt.store, tt.target)
			if items == nil || len(items) != tt.wantCount || page.Count != tt.wantCount {
				t.Fatalf("items %v (nil %v), count %d; want %d", items, items == nil, page.Count, tt.wantCount)
			}
			if (page.Total == nil) != (tt.wantTotal == nil) || (page.Total != nil && *page.Total != *tt.wantTotal) {
				t.Fatalf("total %v, want %v", page.Total, tt.wantTotal)
			}
			if (page.NextCursor != "") != tt.wantNext {
				t.Fatalf("next cursor %q, want one: %v", page.NextCursor, tt.wantNext)
			}
			if tt.wantCount == 0 && (page.FirstID != "" || page.LastID != "" || page.PrevCursor != "") {
				t.Fatalf("empty page has ids or cursors: %+v", page)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestBuildWithoutParse(t *testing.T) {
	if _, _, err := pagination.Build(pagination.Params{Limit: 2}, []row{{ID: "a"}}, keyOf); err == nil {
		t.Fatal("Build accepted Params not made by Parse")
	}
}

func TestOffsetPaging(t *testing.T) {
	store := newStore(10, 3)
	p := newPager(testKeys(t), pagination.WithOffset(100))
	items, page := get(t, p, store, "/items?limit=3&offset=4")
	if !slices.Equal(items, store.rows[4:7]) || page.Offset != 4 || !page.HasPrev || !page.HasNext {
		t.Fatalf("offset page %v %+v", idsOf(items), page)
	}
	// lastKey continues where the offset page ended.
	items, page = get(t, p, store, "/items?limit=3&lastKey="+url.QueryEscape(page.NextCursor))
	if !slices.Equal(items, store.rows[7:10]) || page.Offset != 7 || page.HasNext {
		t.Fatalf("cursor page after offset %v %+v", idsOf(items), page)
	}
}
