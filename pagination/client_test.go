package pagination_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// listServer serves store in the paginator's style, counting requests.
func listServer(t *testing.T, p *pagination.Paginator, store *memStore, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		items, page, err := serve(p, store, r)
		if err != nil {
			problem.Write(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if p.Style() == pagination.RecordsStyle {
			_ = json.NewEncoder(w).Encode(pagination.RecordsOf(items, page))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "data": items, "pagination": page.Standard()})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAllOverHTTP(t *testing.T) {
	store := newStore(17, 3)
	tests := []struct {
		name   string
		p      *pagination.Paginator
		param  string
		decode pagination.Decoder[row]
	}{
		{"standard", pagination.MustNew(testKeys(t), pagination.WithBind("status")), "lastKey", pagination.DecodeStandard[row]},
		{"records", pagination.MustNew(nil, pagination.WithStyle(pagination.RecordsStyle)), "starting_after", pagination.DecodeRecords[row]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := listServer(t, tt.p, store, &calls)
			fetch := pagination.HTTPFetch(srv.Client(), srv.URL+"/items?status=open&limit=5", tt.param, tt.decode)
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
		})
	}
}

func TestHTTPFetchErrors(t *testing.T) {
	var calls atomic.Int32
	p := pagination.MustNew(testKeys(t))
	srv := listServer(t, p, newStore(3, 1), &calls)
	tests := []struct {
		name  string
		url   string
		check func(error) bool
	}{
		{"problem from server", srv.URL + "/items?limit=abc", func(err error) bool { return errors.Is(err, pagination.ErrInvalidLimit) }},
		{"bad URL", "://nope", func(err error) bool { return strings.HasPrefix(err.Error(), "pagination: ") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fetch := pagination.HTTPFetch(nil, tt.url, "lastKey", pagination.DecodeStandard[row])
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
	for _, err := range pagination.All(context.Background(), pagination.HTTPFetch(nil, notJSON.URL, "starting_after", pagination.DecodeRecords[row])) {
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
