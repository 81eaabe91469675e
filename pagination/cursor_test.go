package pagination_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

var (
	secretA = []byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	secretB = []byte("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")
)

func tenantScope(r *http.Request) string { return r.Header.Get("X-Tenant") }

func request(target, tenant string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if tenant != "" {
		r.Header.Set("X-Tenant", tenant)
	}
	return r
}

// issue returns a cursor p makes for a request like target from tenant.
func issue(t *testing.T, p *pagination.Paginator, target, tenant string, c pagination.Cursor) string {
	t.Helper()
	tok, err := p.EncodeCursor(request(target, tenant), c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// flip changes one character in the middle of a token.
func flip(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestCursorChecks(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	ringA := newKeyring(pagination.Key{ID: "a", Secret: secretA})
	ringBA := newKeyring(pagination.Key{ID: "b", Secret: secretB}, pagination.Key{ID: "a", Secret: secretA})
	ringB := newKeyring(pagination.Key{ID: "b", Secret: secretB})
	// A key with a known ID but another secret: a forgery attempt.
	ringForged := newKeyring(pagination.Key{ID: "a", Secret: secretB})
	opts := []pagination.Option{pagination.WithBind("status", "sort"), pagination.WithScope(tenantScope), pagination.WithTTL(time.Hour), pagination.WithClock(clock)}
	pA := newPager(ringA, opts...)
	pBA := newPager(ringBA, opts...)
	pB := newPager(ringB, opts...)
	pForged := newPager(ringForged, opts...)
	later := newPager(ringA, append(opts, pagination.WithClock(func() time.Time { return now.Add(time.Hour) }))...)
	almost := newPager(ringA, append(opts, pagination.WithClock(func() time.Time { return now.Add(time.Hour - time.Millisecond) }))...)

	const origin = "/items?status=open&sort=score&limit=10"
	cur := pagination.Cursor{Values: []any{int64(3), "r007"}, Pos: 12}
	tokA := issue(t, pA, origin, "t1", cur)
	tokB := issue(t, pBA, origin, "t1", cur)

	tests := []struct {
		name   string
		p      *pagination.Paginator
		token  string
		target string
		tenant string
		err    problem.Definition // zero: accepted
	}{
		{"round trip", pA, tokA, origin, "t1", problem.Definition{}},
		{"other limit", pA, tokA, "/items?status=open&sort=score&limit=3", "t1", problem.Definition{}},
		{"parameters reordered", pA, tokA, "/items?limit=10&sort=score&status=open", "t1", problem.Definition{}},
		{"unbound parameter added", pA, tokA, origin + "&fields=id", "t1", problem.Definition{}},
		{"other filter", pA, tokA, "/items?status=closed&sort=score&limit=10", "t1", pagination.ErrCursorMismatch},
		{"other sort", pA, tokA, "/items?status=open&sort=-score&limit=10", "t1", pagination.ErrCursorMismatch},
		{"filter dropped", pA, tokA, "/items?sort=score", "t1", pagination.ErrCursorMismatch},
		{"filter repeated", pA, tokA, "/items?status=open&status=open&sort=score", "t1", pagination.ErrCursorMismatch},
		{"other tenant", pA, tokA, origin, "t2", pagination.ErrForeignCursor},
		{"no tenant", pA, tokA, origin, "", pagination.ErrForeignCursor},
		{"other route", pA, tokA, "/invoices?status=open&sort=score", "t1", pagination.ErrForeignCursor},
		{"tampered", pA, flip(tokA), origin, "t1", pagination.ErrTamperedCursor},
		{"truncated", pA, tokA[:len(tokA)-4], origin, "t1", pagination.ErrTamperedCursor},
		{"forged with a known key ID", pA, issue(t, pForged, origin, "t1", cur), origin, "t1", pagination.ErrTamperedCursor},
		{"expired", later, tokA, origin, "t1", pagination.ErrExpiredCursor},
		{"not yet expired", almost, tokA, origin, "t1", problem.Definition{}},
		{"rotated: old key still verifies", pBA, tokA, origin, "t1", problem.Definition{}},
		{"rotated: new key signs", pBA, tokB, origin, "t1", problem.Definition{}},
		{"retired key", pB, tokA, origin, "t1", pagination.ErrExpiredCursor},
		{"unknown key", pA, tokB, origin, "t1", pagination.ErrExpiredCursor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target + "&lastKey=" + url.QueryEscape(tt.token)
			ps, err := tt.p.Parse(request(target, tt.tenant))
			if !tt.err.IsZero() {
				checkProblem(t, err, tt.err, "lastKey")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ps.Cursor == nil || !slices.Equal(ps.Cursor.Values, cur.Values) || ps.Cursor.Pos != 12 || ps.Backward {
				t.Fatalf("cursor %+v, want %+v", ps.Cursor, cur)
			}
		})
	}
	// The key ID travels in clear after the version and flags bytes.
	for tok, id := range map[string]string{tokA: "a", tokB: "b"} {
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		if len(raw) < 4 || string(raw[3:3+int(raw[2])]) != id {
			t.Fatalf("token %q is not signed with key %q", tok, id)
		}
	}
}

func TestCursorValuesRoundTrip(t *testing.T) {
	p := newPager(testKeys(t))
	when := time.Date(2024, 1, 15, 10, 30, 0, 123456789, time.FixedZone("x", 3600))
	in := []any{nil, "é\x00", []byte{0, 1}, true, false, int(-5), int8(-8), int16(16), int32(-32), int64(1 << 62),
		uint(5), uint8(8), uint16(16), uint32(32), uint64(1 << 63), float32(1.5), 2.25, when}
	want := []any{nil, "é\x00", []byte{0, 1}, true, false, int64(-5), int64(-8), int64(16), int64(-32), int64(1 << 62),
		uint64(5), uint64(8), uint64(16), uint64(32), uint64(1 << 63), 1.5, 2.25, when.UTC()}
	for _, backward := range []bool{false, true} {
		for i := 0; i < len(in); i += 16 {
			vals := in[i:min(i+16, len(in))]
			wantVals := want[i:min(i+16, len(want))]
			tok := issue(t, p, "/x", "", pagination.Cursor{Values: vals, Backward: backward, Pos: -1})
			c, err := p.DecodeCursor(request("/x", ""), tok)
			if err != nil {
				t.Fatal(err)
			}
			if c.Backward != backward || c.Pos != -1 || len(c.Values) != len(wantVals) {
				t.Fatalf("got %+v", c)
			}
			for j := range wantVals {
				g, w := c.Values[j], wantVals[j]
				if gb, ok := g.([]byte); ok {
					if !bytes.Equal(gb, w.([]byte)) {
						t.Fatalf("value %d: %v, want %v", j, g, w)
					}
					continue
				}
				if gt, ok := g.(time.Time); ok {
					if !gt.Equal(w.(time.Time)) || gt.Location() != time.UTC {
						t.Fatalf("value %d: %v, want %v", j, g, w)
					}
					continue
				}
				if g != w {
					t.Fatalf("value %d: %#v, want %#v", j, g, w)
				}
			}
		}
	}
	if _, err := p.EncodeCursor(request("/x", ""), pagination.Cursor{Values: []any{struct{}{}}}); err == nil {
		t.Fatal("an unsupported value type was encoded")
	}
	if _, err := p.EncodeCursor(request("/x", ""), pagination.Cursor{Values: make([]any, 17)}); err == nil {
		t.Fatal("17 values were encoded")
	}
}

func TestCursorIsOpaqueAndURLSafe(t *testing.T) {
	secret := "patient-name-Smith"
	for _, enc := range []bool{false, true} {
		opts := []pagination.Option{}
		if enc {
			opts = append(opts, pagination.WithEncryption())
		}
		p := newPager(testKeys(t), opts...)
		seen := map[string]bool{}
		for i := range 50 {
			tok := issue(t, p, "/x", "", pagination.Cursor{Values: []any{secret, int64(i)}, Pos: int64(i)})
			if strings.ContainsAny(tok, "+/=%") || url.QueryEscape(tok) != tok {
				t.Fatalf("token %q is not URL-safe", tok)
			}
			raw, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				t.Fatal(err)
			}
			if readable := bytes.Contains(raw, []byte(secret)); readable == enc {
				t.Fatalf("encrypted=%v but sort value readable=%v", enc, readable)
			}
			if seen[tok] && enc {
				t.Fatal("two encryptions of the same content are equal")
			}
			seen[tok] = true
		}
	}
}

func TestKeyringRejects(t *testing.T) {
	good := pagination.Key{ID: "k", Secret: secretA}
	tests := []struct {
		name   string
		active pagination.Key
		older  []pagination.Key
	}{
		{"empty ID", pagination.Key{Secret: secretA}, nil},
		{"long ID", pagination.Key{ID: strings.Repeat("k", 33), Secret: secretA}, nil},
		{"ID with slash", pagination.Key{ID: "a/b", Secret: secretA}, nil},
		{"short secret", pagination.Key{ID: "k", Secret: []byte("short")}, nil},
		{"duplicate ID", good, []pagination.Key{{ID: "k", Secret: secretB}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := pagination.NewKeyring(tt.active, tt.older...); err == nil || !strings.HasPrefix(err.Error(), "pagination: ") {
				t.Fatalf("NewKeyring: %v", err)
			}
		})
	}
}

// TestCursorConcurrent signs and verifies from many goroutines at once;
// run with -race.
func TestCursorConcurrent(t *testing.T) {
	ring := newKeyring(pagination.Key{ID: "b", Secret: secretB}, pagination.Key{ID: "a", Secret: secretA})
	old := newPager(newKeyring(pagination.Key{ID: "a", Secret: secretA}))
	for _, enc := range []bool{false, true} {
		opts := []pagination.Option{}
		if enc {
			opts = append(opts, pagination.WithEncryption())
		}
		p := newPager(ring, opts...)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				signer := p
				if g%2 == 1 {
					signer = old
				}
				for i := range 100 {
					r := request("/x", "")
					tok, err := signer.EncodeCursor(r, pagination.Cursor{Values: []any{int64(g), int64(i)}})
					if err == nil {
						var c pagination.Cursor
						c, err = p.DecodeCursor(r, tok)
						if err == nil && (c.Values[0] != int64(g) || c.Values[1] != int64(i)) {
							t.Errorf("goroutine %d: got %v", g, c.Values)
						}
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}

// TestPaginatorConcurrent parses and builds pages from many goroutines
// sharing one Paginator; run with -race.
func TestPaginatorConcurrent(t *testing.T) {
	store := newStore(40, 4)
	p := newPager(testKeys(t), pagination.WithBind("status"), pagination.WithEncryption())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			limit := g + 1
			target := "/items?status=open&limit=" + strconv.Itoa(limit)
			var got []row
			for range 50 {
				items, page, err := serve(p, store, httptest.NewRequest(http.MethodGet, target, nil))
				if err != nil {
					t.Error(err)
					return
				}
				got = append(got, items...)
				if page.NextCursor == "" {
					break
				}
				target = "/items?status=open&limit=" + strconv.Itoa(limit) + "&lastKey=" + url.QueryEscape(page.NextCursor)
			}
			if !slices.Equal(got, store.rows) {
				t.Errorf("limit %d: walked %d rows", limit, len(got))
			}
		}()
	}
	wg.Wait()
}

// TestEncodeRefusesOversizeCursor: a cursor the decoder would reject is
// never made. 16 values of 60 characters make a token of about 1,400
// characters, over the default limit of 1,024.
func TestEncodeRefusesOversizeCursor(t *testing.T) {
	values := make([]any, 16)
	for i := range values {
		values[i] = strings.Repeat(string(rune('a'+i)), 60)
	}
	r := httptest.NewRequest(http.MethodGet, "/items", nil)
	for _, enc := range []bool{false, true} {
		var opts []pagination.Option
		if enc {
			opts = append(opts, pagination.WithEncryption())
		}
		p := newPager(testKeys(t), opts...)
		tok, err := p.EncodeCursor(r, pagination.Cursor{Values: values})
		if err == nil || tok != "" || !strings.Contains(err.Error(), "pagination: cursor of ") || !strings.Contains(err.Error(), "longer than the 1024 accepted") {
			t.Fatalf("encrypt %v: EncodeCursor = %d characters, %v", enc, len(tok), err)
		}
		// Build refuses the same cursor instead of sending it.
		ps, err := p.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		rows := []row{{ID: "a"}, {ID: "b"}}
		_, _, err = pagination.Build(ps, rows[:1], func(row) pagination.Keyset { return pagination.Keyset{ID: "x", Values: values} })
		if err != nil {
			t.Fatalf("one row, no next cursor: %v", err)
		}
		ps.Limit = 1
		if _, _, err = pagination.Build(ps, rows, func(row) pagination.Keyset { return pagination.Keyset{ID: "x", Values: values} }); err == nil {
			t.Fatalf("encrypt %v: Build made an oversize cursor", enc)
		}
	}
}

// TestEncodeAgreesWithDecode: for cursors around the limit, whatever
// EncodeCursor makes DecodeCursor accepts.
func TestEncodeAgreesWithDecode(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/items", nil)
	for _, maxLen := range []int{100, 200, 1024} {
		p := newPager(testKeys(t), pagination.WithMaxCursorLen(maxLen))
		made, refused := 0, 0
		for n := 0; n < maxLen; n += 7 {
			tok, err := p.EncodeCursor(r, pagination.Cursor{Values: []any{strings.Repeat("x", n)}})
			if err != nil {
				refused++
				continue
			}
			made++
			if len(tok) > maxLen {
				t.Fatalf("max %d: made a %d-character cursor", maxLen, len(tok))
			}
			if _, err := p.DecodeCursor(r, tok); err != nil {
				t.Fatalf("max %d: value of %d: a cursor it made is rejected: %v", maxLen, n, err)
			}
		}
		if made == 0 || refused == 0 {
			t.Fatalf("max %d: made %d, refused %d; want some of each", maxLen, made, refused)
		}
	}
}
