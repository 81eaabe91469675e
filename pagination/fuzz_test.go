package pagination_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// FuzzCursor feeds arbitrary lastKey values (seeded with real cursors and
// their mutations) to Parse: each is accepted or rejected with a 400
// problem, never a panic or another error.
func FuzzCursor(f *testing.F) {
	keys := newKeyring(pagination.Key{ID: "k1", Secret: secretA}, pagination.Key{ID: "k0", Secret: secretB})
	now := time.Unix(1_700_000_000, 0)
	opts := []pagination.Option{pagination.WithBind("status"), pagination.WithTTL(time.Hour), pagination.WithClock(func() time.Time { return now })}
	plain := newPager(keys, opts...)
	enc := newPager(keys, append(opts, pagination.WithEncryption())...)
	r := httptest.NewRequest(http.MethodGet, "/items?status=open", nil)
	for _, p := range []*pagination.Paginator{plain, enc} {
		for _, c := range []pagination.Cursor{
			{Values: []any{int64(1), "a"}},
			{Values: []any{"x", 2.5, true, nil, []byte{1}, time.Unix(5, 6), uint64(7)}, Backward: true, Pos: 9},
			{},
		} {
			tok, err := p.EncodeCursor(r, c)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(tok)
			f.Add(tok[:len(tok)/2])
		}
	}
	f.Add("")
	f.Add("AQAC")
	f.Add("====")
	f.Fuzz(func(t *testing.T, tok string) {
		for _, p := range []*pagination.Paginator{plain, enc} {
			req := httptest.NewRequest(http.MethodGet, "/items?status=open&lastKey="+url.QueryEscape(tok), nil)
			ps, err := p.Parse(req)
			if err == nil {
				if ps.Cursor == nil {
					t.Fatalf("accepted %q without a cursor", tok)
				}
				// An accepted cursor re-encodes to one that decodes the same.
				again, err := p.EncodeCursor(req, *ps.Cursor)
				if err != nil {
					t.Fatalf("re-encode %+v: %v", ps.Cursor, err)
				}
				if _, err := p.DecodeCursor(req, again); err != nil {
					t.Fatalf("re-decode: %v", err)
				}
				continue
			}
			var pr *problem.Problem
			if !errors.As(err, &pr) || pr.StatusCode() != 400 || pr.Extensions["parameter"] != "lastKey" {
				t.Fatalf("%q: %v", tok, err)
			}
		}
	})
}

// FuzzLimit checks the limit grammar against a reference: exactly the
// strings of ASCII digits are numbers, and numbers from 1 to the maximum
// are accepted.
func FuzzLimit(f *testing.F) {
	for _, s := range []string{"", "0", "1", "5", "007", "100", "101", "abc", "1.5", "+5", "-5", " 5", "5 ", "1e2", "0x1", "٥", "99999999999999999999"} {
		f.Add(s)
	}
	p := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := p.Parse(httptest.NewRequest(http.MethodGet, "/items?limit="+url.QueryEscape(s), nil))
		digits := s != ""
		for i := 0; i < len(s); i++ {
			digits = digits && s[i] >= '0' && s[i] <= '9'
		}
		n, convErr := strconv.ParseUint(s, 10, 64)
		inRange := digits && convErr == nil && n >= 1 && n <= 100
		switch {
		case inRange:
			if err != nil || uint64(ps.Limit) != n {
				t.Fatalf("limit %q: %d, %v", s, ps.Limit, err)
			}
		case !digits:
			if !errors.Is(err, pagination.ErrInvalidLimit) {
				t.Fatalf("limit %q: %v, want invalid", s, err)
			}
		default:
			if !errors.Is(err, pagination.ErrLimitOutOfRange) {
				t.Fatalf("limit %q: %v, want out of range", s, err)
			}
		}
	})
}

// FuzzRecordsIDs feeds arbitrary starting_after/ending_before values.
func FuzzRecordsIDs(f *testing.F) {
	for _, s := range []string{"obj_1", "", " ", "a\x00b", "é"} {
		f.Add(s, true)
	}
	p := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	f.Fuzz(func(t *testing.T, id string, after bool) {
		name := "ending_before"
		if after {
			name = "starting_after"
		}
		ps, err := p.Parse(httptest.NewRequest(http.MethodGet, "/items?"+name+"="+url.QueryEscape(id), nil))
		if err == nil {
			if ps.ID != id || ps.Backward == after {
				t.Fatalf("%q: %+v", id, ps)
			}
			return
		}
		if !errors.Is(err, pagination.ErrMalformedCursor) {
			t.Fatalf("%q: %v", id, err)
		}
	})
}
