package pagination_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// Patient is the list item of the examples, sorted by (Family, ID).
type Patient struct {
	ID     string `json:"patient_id"`
	Family string `json:"family_name"`
}

var patients = []Patient{
	{"pat_1", "Brown"}, {"pat_4", "Brown"}, {"pat_2", "Jones"}, {"pat_3", "Smith"}, {"pat_5", "Smith"},
}

// patientKey gives the sort values of a patient, ending with its id.
func patientKey(p Patient) pagination.Keyset {
	return pagination.Keyset{ID: p.ID, Values: []any{p.Family, p.ID}}
}

// listPatients is the store: a keyset query over the sorted slice, n rows
// after (or, backward, before) the boundary, nearest first.
func listPatients(after []any, backward bool, n int) []Patient {
	var out []Patient
	cmp := func(p Patient) int {
		if after == nil {
			return 1
		}
		return strings.Compare(p.Family+"\x00"+p.ID, after[0].(string)+"\x00"+after[1].(string))
	}
	rows := slices.Clone(patients)
	if backward {
		slices.Reverse(rows)
	}
	for _, p := range rows {
		if c := cmp(p); len(out) < n && ((!backward && c > 0) || (backward && c < 0)) {
			out = append(out, p)
		}
	}
	return out
}

// newKeyring and newPager are NewKeyring and New for examples with
// constant keys and options: they panic on an error.
func newKeyring(active pagination.Key, verifyOnly ...pagination.Key) *pagination.Keyring {
	kr, err := pagination.NewKeyring(active, verifyOnly...)
	if err != nil {
		panic(err)
	}
	return kr
}

func newPager(keys *pagination.Keyring, opts ...pagination.Option) *pagination.Paginator {
	p, err := pagination.New(keys, opts...)
	if err != nil {
		panic(err)
	}
	return p
}

var exampleKeys = newKeyring(pagination.Key{ID: "2025-01", Secret: []byte("an example secret of 32 bytes!!!")})

// A list handler in the standard style: parse, query limit+1 rows, build
// the page, set the Link header and write the pagination object.
func Example() {
	pager := newPager(exampleKeys, pagination.WithLimits(2, 100))
	handler := func(w http.ResponseWriter, r *http.Request) {
		params, err := pager.Parse(r)
		if err != nil {
			problem.Write(w, r, err) // a 400 naming the parameter
			return
		}
		rows := listPatients(params.After(), params.Backward, params.Fetch())
		items, page, err := pagination.Build(params, rows, patientKey)
		if err != nil {
			problem.Write(w, r, err)
			return
		}
		pager.SetLink(w, r, page)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": items, "pagination": page.Standard()})
	}

	rec := httptest.NewRecorder()
	handler(rec, httptest.NewRequest("GET", "/patients", nil))
	var body struct {
		Data       []Patient
		Pagination pagination.Standard
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	fmt.Println(body.Data, body.Pagination.Count, body.Pagination.HasNext, body.Pagination.LastKey != nil)
	fmt.Println(strings.HasSuffix(rec.Header().Get("Link"), `>; rel="next"`))

	rec = httptest.NewRecorder()
	handler(rec, httptest.NewRequest("GET", "/patients?limit=2&lastKey="+url.QueryEscape(*body.Pagination.LastKey), nil))
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	fmt.Println(body.Data, body.Pagination.Offset)

	rec = httptest.NewRecorder()
	handler(rec, httptest.NewRequest("GET", "/patients?limit=1.5", nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// [{pat_1 Brown} {pat_4 Brown}] 2 true true
	// true
	// [{pat_2 Jones} {pat_3 Smith}] 2
	// 400 {"type":"about:blank","title":"Invalid limit","status":400,"detail":"limit must be a whole number from 1 to 100","code":"pagination/invalid-limit","errors":[{"field":"limit","message":"limit must be a whole number from 1 to 100","code":"INVALID_FORMAT"}],"parameter":"limit"}
}

func ExampleNewKeyring() {
	// Rotation: the new key signs; the old one still verifies until it is
	// left out of the ring.
	oldKey := pagination.Key{ID: "2025-01", Secret: []byte("an example secret of 32 bytes!!!")}
	newKey := pagination.Key{ID: "2025-02", Secret: []byte("another example secret, 32 bytes")}
	before, _ := pagination.NewKeyring(oldKey)
	rotated, err := pagination.NewKeyring(newKey, oldKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	retired, _ := pagination.NewKeyring(newKey)

	r := httptest.NewRequest("GET", "/patients", nil)
	token, _ := newPager(before).EncodeCursor(r, pagination.Cursor{Values: []any{"pat_2"}})
	for _, keys := range []*pagination.Keyring{rotated, retired} {
		_, err := newPager(keys).DecodeCursor(r, token)
		fmt.Println(outcome(err))
	}

	_, err = pagination.NewKeyring(pagination.Key{ID: "k", Secret: []byte("short")})
	fmt.Println(err)
	// Output:
	// ok
	// 400 pagination/expired-cursor
	// pagination: key "k": secret is 5 bytes, want at least 32
}

// outcome is "ok" or the status and code of a problem.
func outcome(err error) string {
	var p *problem.Problem
	if errors.As(err, &p) {
		return fmt.Sprint(p.Status, " ", p.Code)
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func ExampleNew() {
	tenant := func(r *http.Request) string { return r.Header.Get("X-Account") }
	pager, err := pagination.New(exampleKeys,
		pagination.WithLimits(20, 100),     // default 20, at most 100
		pagination.WithOffset(10_000),      // offset paging up to 10,000 too
		pagination.WithBind("status", "q"), // a cursor only works with the same filters
		pagination.WithScope(tenant),       // and for the same account
		pagination.WithTTL(24*time.Hour),   // and for a day
		pagination.WithEncryption(),        // whose sort values nobody can read
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pager.Style())

	_, err = pagination.New(nil)
	fmt.Println(err)
	// Output:
	// standard
	// pagination: no keyring configured for signed cursors
}

func ExampleStyle_String() {
	fmt.Println(pagination.StandardStyle, pagination.RecordsStyle)
	// Output: standard records
}

func ExamplePaginator_Parse() {
	pager := newPager(exampleKeys, pagination.WithOffset(1000))
	for _, q := range []string{"", "limit=10&offset=30", "limit=+5", "limit=500", "limit=5&limit=6", "offset=10&lastKey=abc", "lastKey=abc"} {
		params, err := pager.Parse(httptest.NewRequest("GET", "/patients?"+q, nil))
		var p *problem.Problem
		switch {
		case err == nil:
			fmt.Printf("%q: limit %d offset %d\n", q, params.Limit, params.Offset)
		case errors.As(err, &p):
			fmt.Printf("%q: %d %s (%v)\n", q, p.Status, p.Code, p.Extensions["parameter"])
		}
	}
	// Output:
	// "": limit 50 offset 0
	// "limit=10&offset=30": limit 10 offset 30
	// "limit=+5": 400 pagination/invalid-limit (limit)
	// "limit=500": 400 pagination/limit-out-of-range (limit)
	// "limit=5&limit=6": 400 pagination/duplicate-parameter (limit)
	// "offset=10&lastKey=abc": 400 pagination/cursor-with-offset (offset)
	// "lastKey=abc": 400 pagination/malformed-cursor (lastKey)
}

// In the records style, starting_after and ending_before are object IDs;
// the service looks the object up to find where to start.
func ExampleParams_UnknownID() {
	pager := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	params, _ := pager.Parse(httptest.NewRequest("GET", "/patients?ending_before=pat_9", nil))
	found := slices.IndexFunc(patients, func(p Patient) bool { return p.ID == params.ID })
	if found < 0 {
		err := params.UnknownID()
		var p *problem.Problem
		errors.As(err, &p)
		fmt.Println(errors.Is(err, pagination.ErrUnknownCursor), p.Status, p.Code, p.Fields[0].Field, p.Fields[0].Code)
		fmt.Println(p.Detail)
	}
	// Output:
	// true 400 pagination/unknown-cursor ending_before NOT_FOUND
	// ending_before does not name an object in this list
}

func ExampleParams_Fetch() {
	pager := newPager(exampleKeys)
	params, _ := pager.Parse(httptest.NewRequest("GET", "/patients?limit=20", nil))
	fmt.Println(params.Limit, params.Fetch(), params.After() == nil)
	// Output: 20 21 true
}

func ExampleBuild() {
	pager := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	// Backward: the store returns the rows before pat_3, nearest first.
	params, _ := pager.Parse(httptest.NewRequest("GET", "/patients?limit=2&ending_before=pat_3", nil))
	boundary := patientKey(patients[3]).Values
	rows := listPatients(boundary, params.Backward, params.Fetch())
	fmt.Println("store returned", rows)
	items, page, _ := pagination.Build(params, rows, patientKey)
	fmt.Println("page", items, page.FirstID, page.LastID)
	fmt.Println("backward", page.Backward, "prev", page.HasPrev, "next", page.HasNext)
	// Output:
	// store returned [{pat_2 Jones} {pat_4 Brown} {pat_1 Brown}]
	// page [{pat_4 Brown} {pat_2 Jones}] pat_4 pat_2
	// backward true prev true next true
}

func ExampleRecordsOf() {
	out, _ := json.Marshal(pagination.RecordsOf([]Patient(nil), pagination.Page{}))
	fmt.Println(string(out))
	out, _ = json.Marshal(pagination.RecordsOf(patients[:2], pagination.Page{HasNext: true, FirstID: "pat_1", LastID: "pat_4"}))
	fmt.Println(string(out))
	// Output:
	// {"records":[],"has_more":false,"first_id":null,"last_id":null}
	// {"records":[{"patient_id":"pat_1","family_name":"Brown"},{"patient_id":"pat_4","family_name":"Brown"}],"has_more":true,"first_id":"pat_1","last_id":"pat_4"}
}

func ExamplePage_Standard() {
	out, _ := json.Marshal(pagination.Page{Count: 1, Limit: 50}.Standard())
	fmt.Println(string(out))
	// Output: {"count":1,"hasNext":false,"limit":50,"offset":0,"lastKey":null}
}

func ExamplePage_WithTotal() {
	pager := newPager(exampleKeys, pagination.WithNames(pagination.Names{Total: "include_total"}))
	params, _ := pager.Parse(httptest.NewRequest("GET", "/patients?limit=2&include_total=true", nil))
	_, page, _ := pagination.Build(params, listPatients(nil, false, params.Fetch()), patientKey)
	if params.Total {
		page = page.WithTotal(int64(len(patients))) // count only when asked
	}
	out, _ := json.Marshal(page.Standard())
	fmt.Println(strings.Replace(string(out), page.NextCursor, "…", 1))
	// Output: {"count":2,"hasNext":true,"limit":2,"offset":0,"lastKey":"…","total":5}
}

func ExamplePaginator_SetLink() {
	pager := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	r := httptest.NewRequest("GET", "https://api.example.com/patients?q=Smith+%26+Sons&starting_after=pat_1&limit=2", nil)
	rec := httptest.NewRecorder()
	pager.SetLink(rec, r, pagination.Page{HasNext: true, HasPrev: true, NextCursor: "pat_3", PrevCursor: "pat_2"})
	for l := range strings.SplitSeq(rec.Header().Get("Link"), ", ") {
		fmt.Println(l)
	}
	rec = httptest.NewRecorder()
	pager.SetLink(rec, httptest.NewRequest("GET", "/patients", nil), pagination.Page{Count: 3}) // one page only
	_, set := rec.Header()["Link"]
	fmt.Println(set)
	// Output:
	// </patients?q=Smith+%26+Sons&limit=2&starting_after=pat_3>; rel="next"
	// </patients?q=Smith+%26+Sons&limit=2&ending_before=pat_2>; rel="prev"
	// </patients?q=Smith+%26+Sons&limit=2>; rel="first"
	// false
}

func ExamplePaginator_EncodeCursor() {
	pager := newPager(exampleKeys, pagination.WithBind("status"))
	r := httptest.NewRequest("GET", "/patients?status=active", nil)
	token, _ := pager.EncodeCursor(r, pagination.Cursor{Values: []any{"Smith", "pat_3"}})
	c, err := pager.DecodeCursor(r, token)
	fmt.Println(c.Values, c.Backward, err)

	other := httptest.NewRequest("GET", "/patients?status=archived", nil)
	_, err = pager.DecodeCursor(other, token)
	fmt.Println(errors.Is(err, pagination.ErrCursorMismatch))
	// Output:
	// [Smith pat_3] false <nil>
	// true
}

func ExamplePaginator_DecodeCursor() {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	signer := newPager(exampleKeys, pagination.WithTTL(time.Hour), pagination.WithClock(func() time.Time { return now }))
	later := newPager(exampleKeys, pagination.WithTTL(time.Hour), pagination.WithClock(func() time.Time { return now.Add(2 * time.Hour) }))
	r := httptest.NewRequest("GET", "/patients", nil)
	token, _ := signer.EncodeCursor(r, pagination.Cursor{Values: []any{"Smith", "pat_3"}})
	_, err := later.DecodeCursor(r, token)
	fmt.Println(errors.Is(err, pagination.ErrExpiredCursor))
	_, err = signer.DecodeCursor(r, token[:len(token)-1]+"x")
	fmt.Println(errors.Is(err, pagination.ErrTamperedCursor))
	// Output:
	// true
	// true
}

func ExampleAll() {
	// Any paged API: fetch returns a page and the value that leads on.
	fetch := func(ctx context.Context, next string) (pagination.Fetched[string], error) {
		pages := map[string]pagination.Fetched[string]{
			"":   {Items: []string{"a", "b"}, HasMore: true, Next: "p2"},
			"p2": {Items: []string{"c"}},
		}
		return pages[next], nil
	}
	for item, err := range pagination.All(context.Background(), fetch) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Print(item, " ")
	}
	fmt.Println()
	// Output: a b c
}

func ExamplePages() {
	stuck := func(ctx context.Context, next string) (pagination.Fetched[int], error) {
		return pagination.Fetched[int]{Items: []int{1}, HasMore: true, Next: "same"}, nil
	}
	for page, err := range pagination.Pages(context.Background(), stuck) {
		if err != nil {
			fmt.Println(errors.Is(err, pagination.ErrStalled))
			break
		}
		fmt.Println(page.Items)
	}
	// Output:
	// [1]
	// [1]
	// true
}

func ExampleHTTPFetch() {
	// A Plain API: each page is a bare JSON array, the next page only in
	// the Link header; every request needs the token.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer secret-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("starting_after") == "" {
			w.Header().Set("Link", `</patients?limit=2&starting_after=pat_4>; rel="next"`)
			fmt.Fprint(w, `[{"patient_id":"pat_1"},{"patient_id":"pat_4"}]`)
			return
		}
		fmt.Fprint(w, `[{"patient_id":"pat_2"}]`)
	}))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/patients?limit=2", nil)
	req.Header.Set("Authorization", "Bearer secret-token") // sent with every page
	fetch := pagination.HTTPFetch(srv.Client(), req, pagination.DecodeLink[Patient])
	for p, err := range pagination.All(context.Background(), fetch) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(p.ID)
	}
	// Output:
	// pat_1
	// pat_4
	// pat_2
}

// response is a 200 response to a GET of url with body and Link header.
func response(url, body, link string) *http.Response {
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Request: httptest.NewRequest("GET", url, nil)}
	if link != "" {
		resp.Header.Set("Link", link)
	}
	return resp
}

func ExampleDecodeStandard() {
	body := `{"success":true,"data":[{"patient_id":"pat_1"}],"pagination":{"count":1,"hasNext":true,"limit":1,"offset":0,"lastKey":"eyJwayI6"}}`
	f, err := pagination.DecodeStandard[Patient](response("https://api.example.com/patients?limit=1", body, ""))
	fmt.Println(f.Items, f.HasMore, f.Next, err)
	// Output: [{pat_1 }] true https://api.example.com/patients?lastKey=eyJwayI6&limit=1 <nil>
}

func ExampleDecodeRecords() {
	body := `{"records":[],"has_more":false,"first_id":null,"last_id":null}`
	f, err := pagination.DecodeRecords[Patient](response("https://api.example.com/patients", body, ""))
	fmt.Println(len(f.Items), f.HasMore, f.Next == "", err)
	// Output: 0 false true <nil>
}

func ExampleDecodeLink() {
	resp := response("https://api.example.com/v1/patients?limit=1", `[{"patient_id":"pat_1"}]`,
		`</v1/patients?limit=1&starting_after=pat_1>; rel="next", </v1/patients?limit=1>; rel="first"`)
	f, err := pagination.DecodeLink[Patient](resp)
	fmt.Println(f.Items, f.HasMore, f.Next, err)
	// Output: [{pat_1 }] true https://api.example.com/v1/patients?limit=1&starting_after=pat_1 <nil>
}
