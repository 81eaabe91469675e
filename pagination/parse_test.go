package pagination_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// checkProblem asserts err is a 400 problem of def naming param.
func checkProblem(t *testing.T, err error, def problem.Definition, param string) {
	t.Helper()
	if !errors.Is(err, def) {
		t.Fatalf("error %v, want %s", err, def.Code())
	}
	var p *problem.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %T is not a *problem.Problem", err)
	}
	if p.StatusCode() != http.StatusBadRequest || p.Code != def.Code() {
		t.Fatalf("status %d code %q, want 400 %q", p.StatusCode(), p.Code, def.Code())
	}
	if got := p.Extensions["parameter"]; got != param {
		t.Fatalf("parameter extension %v, want %q", got, param)
	}
	if len(p.Fields) != 1 || p.Fields[0].Field != param || p.Detail == "" {
		t.Fatalf("fields %+v detail %q, want one field %q", p.Fields, p.Detail, param)
	}
	rec := httptest.NewRecorder()
	problem.Write(rec, httptest.NewRequest(http.MethodGet, "/", nil), err)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"parameter":"`+param+`"`) {
		t.Fatalf("written as %d %s", rec.Code, rec.Body)
	}
}

func TestParseRejects(t *testing.T) {
	keys := testKeys(t)
	std := newPager(keys)
	withOffset := newPager(keys, pagination.WithOffset(1000))
	records := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	tests := []struct {
		name  string
		p     *pagination.Paginator
		query string
		def   problem.Definition
		param string
	}{
		{"limit letters", std, "limit=abc", pagination.ErrInvalidLimit, "limit"},
		{"limit decimal", std, "limit=1.5", pagination.ErrInvalidLimit, "limit"},
		{"limit plus sign", std, "limit=%2B5", pagination.ErrInvalidLimit, "limit"},
		{"limit minus sign", std, "limit=-5", pagination.ErrInvalidLimit, "limit"},
		{"limit leading space", std, "limit=%205", pagination.ErrInvalidLimit, "limit"},
		{"limit trailing space", std, "limit=5%20", pagination.ErrInvalidLimit, "limit"},
		{"limit empty", std, "limit=", pagination.ErrInvalidLimit, "limit"},
		{"limit bare", std, "limit", pagination.ErrInvalidLimit, "limit"},
		{"limit exponent", std, "limit=1e2", pagination.ErrInvalidLimit, "limit"},
		{"limit hex", std, "limit=0x10", pagination.ErrInvalidLimit, "limit"},
		{"limit fullwidth digit", std, "limit=%EF%BC%95", pagination.ErrInvalidLimit, "limit"},
		{"limit zero", std, "limit=0", pagination.ErrLimitOutOfRange, "limit"},
		{"limit above max", std, "limit=101", pagination.ErrLimitOutOfRange, "limit"},
		{"limit huge", std, "limit=99999999999999999999999", pagination.ErrLimitOutOfRange, "limit"},
		{"records limit above max", records, "limit=101", pagination.ErrLimitOutOfRange, "limit"},
		{"limit twice", std, "limit=5&limit=5", pagination.ErrDuplicateParameter, "limit"},
		{"lastKey twice", std, "lastKey=a&lastKey=b", pagination.ErrDuplicateParameter, "lastKey"},
		{"starting_after twice", records, "starting_after=a&starting_after=b", pagination.ErrDuplicateParameter, "starting_after"},
		{"offset not allowed", std, "offset=10", pagination.ErrOffsetNotAllowed, "offset"},
		{"offset not allowed in records", records, "offset=10", pagination.ErrOffsetNotAllowed, "offset"},
		{"offset letters", withOffset, "offset=ten", pagination.ErrInvalidOffset, "offset"},
		{"offset negative", withOffset, "offset=-1", pagination.ErrInvalidOffset, "offset"},
		{"offset above max", withOffset, "offset=1001", pagination.ErrInvalidOffset, "offset"},
		{"offset twice", withOffset, "offset=1&offset=2", pagination.ErrDuplicateParameter, "offset"},
		{"cursor with offset", withOffset, "offset=0&lastKey=abc", pagination.ErrCursorWithOffset, "offset"},
		{"cursor with offset not allowed", std, "offset=0&lastKey=abc", pagination.ErrCursorWithOffset, "offset"},
		{"after and before", records, "starting_after=a&ending_before=b", pagination.ErrConflictingCursors, "ending_before"},
		{"empty lastKey", std, "lastKey=", pagination.ErrMalformedCursor, "lastKey"},
		{"lastKey not base64", std, "lastKey=***", pagination.ErrMalformedCursor, "lastKey"},
		{"lastKey std base64", std, "lastKey=ab%2Bc%2Fde", pagination.ErrMalformedCursor, "lastKey"},
		{"lastKey too short", std, "lastKey=AAAA", pagination.ErrMalformedCursor, "lastKey"},
		{"lastKey too long", std, "lastKey=" + strings.Repeat("A", 1025), pagination.ErrMalformedCursor, "lastKey"},
		{"empty starting_after", records, "starting_after=", pagination.ErrMalformedCursor, "starting_after"},
		{"ending_before with space", records, "ending_before=a%20b", pagination.ErrMalformedCursor, "ending_before"},
		{"starting_after too long", records, "starting_after=" + strings.Repeat("a", 256), pagination.ErrMalformedCursor, "starting_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.p.Parse(httptest.NewRequest(http.MethodGet, "/items?"+tt.query, nil))
			checkProblem(t, err, tt.def, tt.param)
		})
	}
}

func TestParseAccepts(t *testing.T) {
	keys := testKeys(t)
	tests := []struct {
		name      string
		opts      []pagination.Option
		query     string
		wantLimit int
		wantOff   int
		wantID    string
		backward  bool
	}{
		{"defaults", nil, "", 50, 0, "", false},
		{"limit", nil, "limit=7", 7, 0, "", false},
		{"limit leading zeros", nil, "limit=007", 7, 0, "", false},
		{"limit max", nil, "limit=100", 100, 0, "", false},
		{"clamped", []pagination.Option{pagination.WithClamp()}, "limit=5000", 100, 0, "", false},
		{"own limits", []pagination.Option{pagination.WithLimits(10, 20)}, "", 10, 0, "", false},
		{"offset", []pagination.Option{pagination.WithOffset(0)}, "offset=40&limit=20", 20, 40, "", false},
		{"renamed", []pagination.Option{pagination.WithNames(pagination.Names{Limit: "page_size"})}, "page_size=3&limit=abc", 3, 0, "", false},
		{"records after", []pagination.Option{pagination.WithStyle(pagination.RecordsStyle)}, "starting_after=obj_1", 50, 0, "obj_1", false},
		{"records before", []pagination.Option{pagination.WithStyle(pagination.RecordsStyle)}, "ending_before=obj_2&limit=3", 3, 0, "obj_2", true},
		{"other parameters repeat freely", nil, "status=a&status=b", 50, 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPager(keys, tt.opts...)
			ps, err := p.Parse(httptest.NewRequest(http.MethodGet, "/items?"+tt.query, nil))
			if err != nil {
				t.Fatal(err)
			}
			if ps.Limit != tt.wantLimit || ps.Offset != tt.wantOff || ps.ID != tt.wantID || ps.Backward != tt.backward || ps.Fetch() != tt.wantLimit+1 {
				t.Fatalf("got %+v", ps)
			}
		})
	}
}

func TestUnknownID(t *testing.T) {
	p := newPager(nil, pagination.WithStyle(pagination.RecordsStyle))
	for _, param := range []string{"starting_after", "ending_before"} {
		_, _, err := serve(p, newStore(3, 1), httptest.NewRequest(http.MethodGet, "/items?"+param+"=nope", nil))
		checkProblem(t, err, pagination.ErrUnknownCursor, param)
		var pr *problem.Problem
		if errors.As(err, &pr); errors.Is(err, pagination.ErrMalformedCursor) || pr.Fields[0].Code != "NOT_FOUND" {
			t.Fatalf("%s: %v, field code %q", param, err, pr.Fields[0].Code)
		}
	}
	// A malformed ID is still malformed.
	_, _, err := serve(p, newStore(3, 1), httptest.NewRequest(http.MethodGet, "/items?starting_after=a%20b", nil))
	checkProblem(t, err, pagination.ErrMalformedCursor, "starting_after")
}

func TestNewRejectsBadConfig(t *testing.T) {
	keys := testKeys(t)
	tests := []struct {
		name string
		keys *pagination.Keyring
		opts []pagination.Option
	}{
		{"no keyring for signed cursors", nil, nil},
		{"max limit zero", keys, []pagination.Option{pagination.WithLimits(1, 0)}},
		{"default above max", keys, []pagination.Option{pagination.WithLimits(20, 10)}},
		{"default zero", keys, []pagination.Option{pagination.WithLimits(0, 10)}},
		{"negative offset bound", keys, []pagination.Option{pagination.WithOffset(-1)}},
		{"negative ttl", keys, []pagination.Option{pagination.WithTTL(-1)}},
		{"nil clock", keys, []pagination.Option{pagination.WithClock(nil)}},
		{"unknown style", keys, []pagination.Option{pagination.WithStyle(9)}},
		{"name clash", keys, []pagination.Option{pagination.WithNames(pagination.Names{Offset: "limit"})}},
		{"bound paging parameter", keys, []pagination.Option{pagination.WithBind("limit")}},
		{"zero cursor length", keys, []pagination.Option{pagination.WithMaxCursorLen(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := pagination.New(tt.keys, tt.opts...); err == nil || !strings.HasPrefix(err.Error(), "pagination: ") {
				t.Fatalf("New: %v, want a pagination: error", err)
			}
		})
	}
}

func TestParseIgnoresOtherStylesParameters(t *testing.T) {
	tests := []struct {
		name  string
		p     *pagination.Paginator
		query string
	}{
		{"records ignores lastKey", newPager(nil, pagination.WithStyle(pagination.RecordsStyle)), "lastKey=a&lastKey=b"},
		{"standard ignores starting_after", newPager(testKeys(t)), "starting_after=a&ending_before=b&starting_after=c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := tt.p.Parse(httptest.NewRequest(http.MethodGet, "/items?"+tt.query, nil))
			if err != nil || ps.ID != "" || ps.Cursor != nil {
				t.Fatalf("%+v, %v", ps, err)
			}
		})
	}
}
