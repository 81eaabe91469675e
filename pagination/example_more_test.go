package pagination_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// parseOutcome parses r with pager and describes the result: the
// limit, offset, cursor or ID read, or the code of the 400 and the
// parameter it names.
func parseOutcome(pager *pagination.Paginator, r *http.Request) string {
	params, err := pager.Parse(r)
	var p *problem.Problem
	switch {
	case errors.As(err, &p):
		return fmt.Sprintf("%d %s (%v)", p.Status, p.Code, p.Extensions["parameter"])
	case err != nil:
		return err.Error()
	case params.Cursor != nil:
		return fmt.Sprintf("limit %d after %v", params.Limit, params.After())
	case params.ID != "":
		return fmt.Sprintf("limit %d id %s backward %t", params.Limit, params.ID, params.Backward)
	}
	return fmt.Sprintf("limit %d offset %d", params.Limit, params.Offset)
}

func ExampleWithStyle() {
	standard := newPager(exampleKeys) // StandardStyle is the default
	records := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	for _, q := range []string{"limit=2&starting_after=pat_4", "limit=2&ending_before=pat_3", "lastKey=abc"} {
		r := httptest.NewRequest("GET", "/patients?"+q, nil)
		fmt.Printf("%-30s standard: %s | records: %s\n", q, parseOutcome(standard, r), parseOutcome(records, r))
	}
	// Output:
	// limit=2&starting_after=pat_4   standard: limit 2 offset 0 | records: limit 2 id pat_4 backward false
	// limit=2&ending_before=pat_3    standard: limit 2 offset 0 | records: limit 2 id pat_3 backward true
	// lastKey=abc                    standard: 400 pagination/malformed-cursor (lastKey) | records: limit 50 offset 0
}

func ExampleWithNames() {
	pager := newPager(exampleKeys, pagination.WithNames(pagination.Names{Limit: "page_size", Cursor: "page_token"}))
	fmt.Println(parseOutcome(pager, httptest.NewRequest("GET", "/patients?page_size=10&limit=abc", nil)))
	fmt.Println(parseOutcome(pager, httptest.NewRequest("GET", "/patients?page_token=abc", nil)))

	_, err := pagination.New(exampleKeys, pagination.WithNames(pagination.Names{Cursor: "limit"}))
	fmt.Println(err)
	// Output:
	// limit 10 offset 0
	// 400 pagination/malformed-cursor (page_token)
	// pagination: parameter name "limit" used twice
}

func ExampleWithLimits() {
	pager := newPager(exampleKeys, pagination.WithLimits(20, 50))
	for _, q := range []string{"", "limit=50", "limit=51", "limit=0"} {
		fmt.Printf("%q: %s\n", q, parseOutcome(pager, httptest.NewRequest("GET", "/patients?"+q, nil)))
	}
	_, err := pagination.New(exampleKeys, pagination.WithLimits(100, 50))
	fmt.Println(err)
	// Output:
	// "": limit 20 offset 0
	// "limit=50": limit 50 offset 0
	// "limit=51": 400 pagination/limit-out-of-range (limit)
	// "limit=0": 400 pagination/limit-out-of-range (limit)
	// pagination: default limit 100, want 1 to 50
}

func ExampleWithClamp() {
	strict := newPager(exampleKeys)
	clamped := newPager(exampleKeys, pagination.WithClamp())
	for _, q := range []string{"limit=500", "limit=0"} {
		r := httptest.NewRequest("GET", "/patients?"+q, nil)
		fmt.Printf("%s: default %s, clamped %s\n", q, parseOutcome(strict, r), parseOutcome(clamped, r))
	}
	// Output:
	// limit=500: default 400 pagination/limit-out-of-range (limit), clamped limit 100 offset 0
	// limit=0: default 400 pagination/limit-out-of-range (limit), clamped 400 pagination/limit-out-of-range (limit)
}

func ExampleWithOffset() {
	cursorOnly := newPager(exampleKeys)
	withOffset := newPager(exampleKeys, pagination.WithOffset(1000))
	for _, q := range []string{"offset=30", "offset=5000", "offset=-1"} {
		r := httptest.NewRequest("GET", "/patients?"+q, nil)
		fmt.Printf("%s: cursor only %s, with offset %s\n", q, parseOutcome(cursorOnly, r), parseOutcome(withOffset, r))
	}
	// Output:
	// offset=30: cursor only 400 pagination/offset-not-allowed (offset), with offset limit 50 offset 30
	// offset=5000: cursor only 400 pagination/offset-not-allowed (offset), with offset 400 pagination/invalid-offset (offset)
	// offset=-1: cursor only 400 pagination/offset-not-allowed (offset), with offset 400 pagination/invalid-offset (offset)
}

func ExampleWithBind() {
	pager := newPager(exampleKeys, pagination.WithBind("status", "sort"))
	first := httptest.NewRequest("GET", "/patients?status=active&sort=family", nil)
	token, _ := pager.EncodeCursor(first, pagination.Cursor{Values: []any{"Jones", "pat_2"}})
	for _, q := range []string{
		"status=active&sort=family&limit=10&fields=id", // limit and unbound parameters may change
		"status=archived&sort=family",                  // a bound filter changed
		"sort=family",                                  // a bound filter left out
	} {
		r := httptest.NewRequest("GET", "/patients?"+q+"&lastKey="+url.QueryEscape(token), nil)
		fmt.Println(parseOutcome(pager, r))
	}
	// Output:
	// limit 10 after [Jones pat_2]
	// 400 pagination/cursor-mismatch (lastKey)
	// 400 pagination/cursor-mismatch (lastKey)
}

func ExampleWithScope() {
	account := func(r *http.Request) string { return r.Header.Get("X-Account") }
	pager := newPager(exampleKeys, pagination.WithScope(account))
	asAccount := func(target, acct string) *http.Request {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("X-Account", acct)
		return r
	}
	token, _ := pager.EncodeCursor(asAccount("/patients", "acct_1"), pagination.Cursor{Values: []any{"Jones", "pat_2"}})
	q := "?lastKey=" + url.QueryEscape(token)
	fmt.Println(parseOutcome(pager, asAccount("/patients"+q, "acct_1")))
	fmt.Println(parseOutcome(pager, asAccount("/patients"+q, "acct_2")))   // another account
	fmt.Println(parseOutcome(pager, asAccount("/encounters"+q, "acct_1"))) // another route
	// Output:
	// limit 50 after [Jones pat_2]
	// 400 pagination/foreign-cursor (lastKey)
	// 400 pagination/foreign-cursor (lastKey)
}

func ExampleWithTTL() {
	now := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	forever := newPager(exampleKeys, pagination.WithClock(clock)) // no TTL: cursors never expire
	daily := newPager(exampleKeys, pagination.WithClock(clock), pagination.WithTTL(24*time.Hour))

	r := httptest.NewRequest("GET", "/patients", nil)
	c := pagination.Cursor{Values: []any{"Jones", "pat_2"}}
	foreverToken, _ := forever.EncodeCursor(r, c)
	dailyToken, _ := daily.EncodeCursor(r, c)

	for _, d := range []time.Duration{23 * time.Hour, 24 * time.Hour, 365 * 24 * time.Hour} {
		now = time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC).Add(d)
		_, errForever := forever.DecodeCursor(r, foreverToken)
		_, errDaily := daily.DecodeCursor(r, dailyToken)
		fmt.Printf("after %v: no TTL valid %t, 24h TTL expired %t\n", d, errForever == nil, errors.Is(errDaily, pagination.ErrExpiredCursor))
	}
	// Output:
	// after 23h0m0s: no TTL valid true, 24h TTL expired false
	// after 24h0m0s: no TTL valid true, 24h TTL expired true
	// after 8760h0m0s: no TTL valid true, 24h TTL expired true
}

func ExampleWithClock() {
	// A clock the test controls: cursors are stamped and checked against
	// it, not the wall clock.
	now := time.Date(2025, 1, 15, 10, 30, 0, 0, time.UTC)
	pager := newPager(exampleKeys,
		pagination.WithTTL(10*time.Minute),
		pagination.WithClock(func() time.Time { return now }))
	r := httptest.NewRequest("GET", "/patients", nil)
	token, _ := pager.EncodeCursor(r, pagination.Cursor{Values: []any{"Jones", "pat_2"}})

	now = now.Add(9 * time.Minute)
	_, err := pager.DecodeCursor(r, token)
	fmt.Println(now.Format(time.Kitchen), err)
	now = now.Add(time.Minute)
	_, err = pager.DecodeCursor(r, token)
	fmt.Println(now.Format(time.Kitchen), errors.Is(err, pagination.ErrExpiredCursor))

	_, err = pagination.New(exampleKeys, pagination.WithClock(nil))
	fmt.Println(err)
	// Output:
	// 10:39AM <nil>
	// 10:40AM true
	// pagination: nil clock
}

func ExampleWithEncryption() {
	plain := newPager(exampleKeys)
	sealed := newPager(exampleKeys, pagination.WithEncryption())
	r := httptest.NewRequest("GET", "/patients", nil)
	c := pagination.Cursor{Values: []any{"Smith", "pat_3"}}
	for _, pager := range []*pagination.Paginator{plain, sealed} {
		token, _ := pager.EncodeCursor(r, c)
		raw, _ := base64.RawURLEncoding.DecodeString(token)
		back, err := pager.DecodeCursor(r, token)
		fmt.Printf("readable %t, decodes to %v %v\n", strings.Contains(string(raw), "Smith"), back.Values, err)
	}
	// Output:
	// readable true, decodes to [Smith pat_3] <nil>
	// readable false, decodes to [Smith pat_3] <nil>
}

func ExampleWithMaxCursorLen() {
	pager := newPager(exampleKeys, pagination.WithMaxCursorLen(120))
	r := httptest.NewRequest("GET", "/patients", nil)
	long := pagination.Cursor{Values: []any{strings.Repeat("x", 100), "pat_2"}}
	short, _ := pager.EncodeCursor(r, pagination.Cursor{Values: []any{"pat_2"}})
	_, err := pager.DecodeCursor(r, short)
	fmt.Println(len(short) <= 120, err)
	// A cursor the paginator would not accept is never made…
	_, err = pager.EncodeCursor(r, long)
	fmt.Println(err)
	// …and one made elsewhere with a higher limit is refused unread.
	token, _ := newPager(exampleKeys).EncodeCursor(r, long)
	_, err = pager.DecodeCursor(r, token)
	fmt.Println(errors.Is(err, pagination.ErrMalformedCursor))

	// In the records style the limit applies to object IDs.
	records := newPager(nil, pagination.WithStyle(pagination.RecordsStyle), pagination.WithMaxCursorLen(8))
	fmt.Println(parseOutcome(records, httptest.NewRequest("GET", "/patients?starting_after=pat_1", nil)))
	fmt.Println(parseOutcome(records, httptest.NewRequest("GET", "/patients?starting_after=pat_123456789", nil)))
	// Output:
	// true <nil>
	// pagination: cursor of 228 characters is longer than the 120 accepted (WithMaxCursorLen): carry fewer or shorter sort values
	// true
	// limit 50 id pat_1 backward false
	// 400 pagination/malformed-cursor (starting_after)
}

func ExampleWithBaseURL() {
	relative := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	absolute := newPager(nil, pagination.WithStyle(pagination.RecordsStyle), pagination.WithBaseURL("https://api.example.com"))
	// The Host header (and X-Forwarded-Host) is the client's to choose: it
	// never reaches the links.
	r := httptest.NewRequest("GET", "http://evil.example/patients?limit=2", nil)
	r.Header.Set("X-Forwarded-Host", "evil.example")
	page := pagination.Page{HasNext: true, NextCursor: "pat_4"}
	for _, pager := range []*pagination.Paginator{relative, absolute} {
		w := httptest.NewRecorder()
		pager.SetLink(w, r, page)
		fmt.Println(w.Header().Get("Link"))
	}
	_, err := pagination.New(nil, pagination.WithStyle(pagination.RecordsStyle), pagination.WithBaseURL("api.example.com"))
	fmt.Println(err)
	// Output:
	// </patients?limit=2&starting_after=pat_4>; rel="next"
	// <https://api.example.com/patients?limit=2&starting_after=pat_4>; rel="next"
	// pagination: base URL "api.example.com": want an http or https URL
}
