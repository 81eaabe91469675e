package pagination_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// How listServer writes a page.
type listMode int

const (
	bodyOnly     listMode = iota // standard or records body, no Link header
	bodyAndLink                  // the body and a Link header
	plainAndLink                 // a bare JSON array; the next page only in the Link header
)

// listServer serves store in the paginator's style, counting requests,
// as mode says. Every request must carry the Authorization header
// "Bearer t0ken", or it is a 401.
func listServer(t *testing.T, p *pagination.Paginator, mode listMode, store *memStore, calls *atomic.Int32) *httptest.Server {
	return listServerOf(t, func() *pagination.Paginator { return p }, mode, store, calls)
}

// listServerOf is listServer with the paginator from pager, called per
// request.
func listServerOf(t *testing.T, pager func() *pagination.Paginator, mode listMode, store *memStore, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		p := pager()
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			problem.Write(w, r, problem.AuthenticationRequired.New("missing token"))
			return
		}
		items, page, err := serve(p, store, r)
		if err != nil {
			problem.Write(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if mode != bodyOnly {
			p.SetLink(w, r, page)
		}
		switch {
		case mode == plainAndLink:
			_ = json.NewEncoder(w).Encode(items)
		case p.Style() == pagination.RecordsStyle:
			_ = json.NewEncoder(w).Encode(pagination.RecordsOf(items, page))
		default:
			_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "data": items, "pagination": page.Standard()})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// authorized returns a GET of url with the token listServer wants.
func authorized(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer t0ken")
	return req
}

func TestAllOverHTTP(t *testing.T) {
	store := newStore(17, 3)
	keys := testKeys(t)
	standard := func(string) *pagination.Paginator { return newPager(keys, pagination.WithBind("status")) }
	records := func(string) *pagination.Paginator {
		return newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	}
	tests := []struct {
		name   string
		mk     func(base string) *pagination.Paginator
		mode   listMode
		decode pagination.Decoder[row]
	}{
		{"standard", standard, bodyOnly, pagination.DecodeStandard[row]},
		{"records", records, bodyOnly, pagination.DecodeRecords[row]},
		{"plain by Link, signed cursors", standard, plainAndLink, pagination.DecodeLink[row]},
		{"plain by Link, object IDs", records, plainAndLink, pagination.DecodeLink[row]},
		{"plain by absolute Link", func(base string) *pagination.Paginator {
			return newPager(keys, pagination.WithBind("status"), pagination.WithBaseURL(base))
		}, plainAndLink, pagination.DecodeLink[row]},
		// With their own parameter names, the body's lastKey or last_id
		// alone cannot be followed: the Link header is.
		{"standard with own names, by Link", func(string) *pagination.Paginator {
			return newPager(keys, pagination.WithBind("status"), pagination.WithNames(pagination.Names{Cursor: "page_token"}))
		}, bodyAndLink, pagination.DecodeStandard[row]},
		{"records with own names, by Link", func(string) *pagination.Paginator {
			return newPager(nil, pagination.WithStyle(pagination.RecordsStyle), pagination.WithNames(pagination.Names{After: "after"}))
		}, bodyAndLink, pagination.DecodeRecords[row]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			var p *pagination.Paginator
			srv := listServerOf(t, func() *pagination.Paginator { return p }, tt.mode, store, &calls)
			p = tt.mk(srv.URL)
			fetch := pagination.HTTPFetch(srv.Client(), authorized(t, srv.URL+"/items?status=open&limit=5"), tt.decode)
			var got []row
			for it, err := range pagination.All(context.Background(), fetch) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, it)
			}
			if !slices.Equal(got, store.rows) || calls.Load() != 4 {
				t.Fatalf("got %d rows in %d calls", len(got), calls.Load())
			}
			// Breaking after 7 items fetches only two pages.
			calls.Store(0)
			n := 0
			for _, err := range pagination.All(context.Background(), fetch) {
				if err != nil {
					t.Fatal(err)
				}
				if n++; n == 7 {
					break
				}
			}
			if calls.Load() != 2 {
				t.Fatalf("break after 7 items made %d calls", calls.Load())
			}
			// Pages yields whole pages.
			var sizes []int
			for page, err := range pagination.Pages(context.Background(), fetch) {
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(page.Items))
			}
			if !slices.Equal(sizes, []int{5, 5, 5, 2}) {
				t.Fatalf("page sizes %v", sizes)
			}
			// Without the token the server refuses, and the pager says so.
			req := authorized(t, srv.URL+"/items?status=open&limit=5")
			req.Header.Del("Authorization")
			for _, err := range pagination.All(context.Background(), pagination.HTTPFetch(srv.Client(), req, tt.decode)) {
				if !errors.Is(err, problem.AuthenticationRequired) {
					t.Fatalf("without a token: %v", err)
				}
			}
		})
	}
}

func TestHTTPFetchRefusesAnotherOrigin(t *testing.T) {
	var leaked atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		_, _ = w.Write([]byte("[]"))
	}))
	defer evil.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+evil.URL+`/steal>; rel="next"`)
		_, _ = w.Write([]byte("[1]"))
	}))
	defer srv.Close()
	var errs []error
	for _, err := range pagination.All(context.Background(), pagination.HTTPFetch(nil, authorized(t, srv.URL), pagination.DecodeLink[int])) {
		errs = append(errs, err)
	}
	if len(errs) != 2 || errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "is not on") || leaked.Load() != 0 {
		t.Fatalf("errors %v, leaked %d", errs, leaked.Load())
	}
}

func TestLinkNext(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"one", []string{`</a?x=1>; rel="next"`}, "/a?x=1"},
		{"token rel", []string{`</a>; rel=next`}, "/a"},
		{"after prev", []string{`</p>; rel="prev", </n>; rel="next"`}, "/n"},
		{"second header", []string{`</p>; rel="prev"`, `</n>; rel="next"`}, "/n"},
		{"several types, case", []string{`</n>; title="a, b; c"; rel="last NEXT"`}, "/n"},
		{"comma in target", []string{`</a,b>; rel="prev", </c,d>; rel="next"`}, "/c,d"},
		{"param without value", []string{`</p>; crossorigin, </n>; rel=next`}, "/n"},
		{"none", []string{`</p>; rel="prev"`}, ""},
		{"nextish", []string{`</p>; rel="next-archive"`}, ""},
		{"rev is not rel", []string{`</p>; rev="next"`}, ""},
		{"garbage", []string{`nonsense; rel=next`}, ""},
		{"unterminated", []string{`</p; rel=next`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Link": tt.values}
			got, err := pagination.DecodeLink[int](&http.Response{Header: h, Body: io.NopCloser(strings.NewReader("[]")), Request: httptest.NewRequest("GET", "http://api.example.com/x/y", nil)})
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.want != "" {
				want = "http://api.example.com" + tt.want
			}
			if got.Next != want || got.HasMore != (want != "") {
				t.Fatalf("next %q more %v, want %q", got.Next, got.HasMore, want)
			}
		})
	}
}

func TestHTTPFetchErrors(t *testing.T) {
	var calls atomic.Int32
	p := newPager(testKeys(t))
	srv := listServer(t, p, bodyOnly, newStore(3, 1), &calls)
	withBody := authorized(t, srv.URL)
	withBody.Body = io.NopCloser(strings.NewReader("x"))
	tests := []struct {
		name  string
		req   *http.Request
		check func(error) bool
	}{
		{"problem from server", authorized(t, srv.URL+"/items?limit=abc"), func(err error) bool { return errors.Is(err, pagination.ErrInvalidLimit) }},
		{"request with a body", withBody, func(err error) bool { return strings.HasPrefix(err.Error(), "pagination: ") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetch := pagination.HTTPFetch(nil, tt.req, pagination.DecodeStandard[row])
			errs := 0
			for _, err := range pagination.All(context.Background(), fetch) {
				if err == nil || !tt.check(err) {
					t.Fatalf("error %v", err)
				}
				errs++
			}
			if errs != 1 {
				t.Fatalf("%d errors yielded, want 1", errs)
			}
		})
	}
	notJSON := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) }))
	defer notJSON.Close()
	for _, err := range pagination.All(context.Background(), pagination.HTTPFetch(nil, authorized(t, notJSON.URL), pagination.DecodeRecords[row])) {
		if err == nil || !strings.Contains(err.Error(), "pagination: decode page") {
			t.Fatalf("error %v", err)
		}
	}
}

// fakeFetch serves scripted pages.
func fakeFetch(pages map[string]pagination.Fetched[int], calls *int) pagination.FetchFunc[int] {
	return func(ctx context.Context, next string) (pagination.Fetched[int], error) {
		*calls++
		f, ok := pages[next]
		if !ok {
			return f, errors.New("no such page " + next)
		}
		return f, nil
	}
}

func TestIterators(t *testing.T) {
	tests := []struct {
		name      string
		pages     map[string]pagination.Fetched[int]
		cancelAt  int // cancel the context after this many items; 0: never
		wantItems []int
		wantErr   func(error) bool
		wantCalls int
	}{
		{
			name:      "three pages",
			pages:     map[string]pagination.Fetched[int]{"": {Items: []int{1, 2}, HasMore: true, Next: "a"}, "a": {Items: []int{3}, HasMore: true, Next: "b"}, "b": {Items: []int{4}}},
			wantItems: []int{1, 2, 3, 4},
			wantCalls: 3,
		},
		{
			name:      "empty list",
			pages:     map[string]pagination.Fetched[int]{"": {}},
			wantCalls: 1,
		},
		{
			name:      "more without cursor",
			pages:     map[string]pagination.Fetched[int]{"": {Items: []int{1}, HasMore: true}},
			wantItems: []int{1},
			wantErr:   func(err error) bool { return errors.Is(err, pagination.ErrStalled) },
			wantCalls: 1,
		},
		{
			name:      "cursor repeats",
			pages:     map[string]pagination.Fetched[int]{"": {Items: []int{1}, HasMore: true, Next: "a"}, "a": {Items: []int{2}, HasMore: true, Next: "a"}},
			wantItems: []int{1, 2},
			wantErr:   func(err error) bool { return errors.Is(err, pagination.ErrStalled) },
			wantCalls: 2,
		},
		{
			name:      "cursor cycles",
			pages:     map[string]pagination.Fetched[int]{"": {Items: []int{1}, HasMore: true, Next: "a"}, "a": {Items: []int{2}, HasMore: true, Next: "b"}, "b": {Items: []int{3}, HasMore: true, Next: "a"}},
			wantItems: []int{1, 2, 3},
			wantErr:   func(err error) bool { return errors.Is(err, pagination.ErrStalled) },
			wantCalls: 3,
		},
		{
			name:      "fetch error",
			pages:     map[string]pagination.Fetched[int]{"": {Items: []int{1}, HasMore: true, Next: "missing"}},
			wantItems: []int{1},
			wantErr:   func(err error) bool { return err != nil && strings.Contains(err.Error(), "no such page") },
			wantCalls: 2,
		},
		{
			name:      "context cancelled between pages",
			pages:     map[string]pagination.Fetched[int]{"": {Items: []int{1, 2}, HasMore: true, Next: "a"}, "a": {Items: []int{3}}},
			cancelAt:  2,
			wantItems: []int{1, 2},
			wantErr:   func(err error) bool { return errors.Is(err, context.Canceled) },
			wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls := 0
			var items []int
			var errs []error
			for it, err := range pagination.All(ctx, fakeFetch(tt.pages, &calls)) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				items = append(items, it)
				if len(items) == tt.cancelAt {
					cancel()
				}
			}
			if !slices.Equal(items, tt.wantItems) || calls != tt.wantCalls {
				t.Fatalf("items %v calls %d, want %v %d", items, calls, tt.wantItems, tt.wantCalls)
			}
			switch {
			case tt.wantErr == nil && len(errs) != 0:
				t.Fatalf("errors %v", errs)
			case tt.wantErr != nil && (len(errs) != 1 || !tt.wantErr(errs[0])):
				t.Fatalf("errors %v", errs)
			}
		})
	}
}

func TestPagesStopsOnBreakAfterError(t *testing.T) {
	calls := 0
	fetch := fakeFetch(map[string]pagination.Fetched[int]{"": {Items: []int{1}, HasMore: true}}, &calls)
	for _, err := range pagination.Pages(context.Background(), fetch) {
		if err != nil {
			break // yield returns false; the iterator must not call it again
		}
	}
	if calls != 1 {
		t.Fatalf("%d calls", calls)
	}
}

// FuzzDecodeLink: any Link header is read without a panic, and a next
// page it finds is an absolute URL (resolved against the request's).
func FuzzDecodeLink(f *testing.F) {
	for _, s := range []string{`</a?x=1>; rel="next"`, `</p>; rel="prev", </n>; rel=next`, `<>; rel="next"`, `<http://other/x>; rel="next last"`, `<`, `</a>; rel="ne\"xt"`, `</a>;;;rel`, `<//h/p>; rel=next`} {
		f.Add(s)
	}
	req := httptest.NewRequest("GET", "https://api.example.com/v1/items?limit=2", nil)
	f.Fuzz(func(t *testing.T, link string) {
		resp := &http.Response{Header: http.Header{"Link": {link}}, Body: io.NopCloser(strings.NewReader("[]")), Request: req}
		got, err := pagination.DecodeLink[int](resp)
		if err != nil {
			return // an unparsable target is an error, not a panic
		}
		if got.HasMore != (got.Next != "") {
			t.Fatalf("more %v next %q", got.HasMore, got.Next)
		}
		if got.Next != "" {
			u, err := url.Parse(got.Next)
			if err != nil || !u.IsAbs() {
				t.Fatalf("next %q is not an absolute URL: %v", got.Next, err)
			}
		}
	})
}
