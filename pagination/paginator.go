package pagination

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Paginator parses the paging parameters of list requests and makes the
// cursors of their pages. It is immutable and safe for concurrent use; make
// one per list endpoint (or per group of endpoints sharing a configuration)
// with [New].
type Paginator struct {
	keys      *Keyring
	style     Style
	names     Names
	defLimit  int
	maxLimit  int
	clamp     bool
	offset    bool
	maxOffset int
	bind      []string
	scope     func(*http.Request) string
	ttl       time.Duration
	now       func() time.Time
	encrypt   bool
	maxCursor int
	maxID     int
	baseURL   string // "" for relative references
	baseErr   error  // from WithBaseURL, reported by New
}

// New returns a Paginator whose cursors keys signs and verifies. keys may
// be nil only in [RecordsStyle], where the paging parameters are plain
// object IDs and no cursor is ever signed.
func New(keys *Keyring, opts ...Option) (*Paginator, error) {
	p := &Paginator{
		keys:      keys,
		names:     defaultNames(),
		defLimit:  defaultLimit,
		maxLimit:  defaultMaxLimit,
		now:       time.Now,
		maxCursor: defaultMaxCursor,
		maxID:     defaultMaxIDLen,
	}
	for _, o := range opts {
		if o.apply != nil {
			o.apply(p)
		}
	}
	switch {
	case p.baseErr != nil:
		return nil, p.baseErr
	case p.style != StandardStyle && p.style != RecordsStyle:
		return nil, fmt.Errorf("pagination: unknown style %d", p.style)
	case p.keys == nil && p.style == StandardStyle:
		return nil, errNoKeyring
	case p.maxLimit < 1:
		return nil, fmt.Errorf("pagination: maximum limit %d, want at least 1", p.maxLimit)
	case p.defLimit < 1 || p.defLimit > p.maxLimit:
		return nil, fmt.Errorf("pagination: default limit %d, want 1 to %d", p.defLimit, p.maxLimit)
	case p.maxOffset < 0:
		return nil, fmt.Errorf("pagination: maximum offset %d, want 0 (none) or more", p.maxOffset)
	case p.ttl < 0:
		return nil, fmt.Errorf("pagination: cursor TTL %v, want 0 (none) or more", p.ttl)
	case p.maxCursor < 1:
		return nil, fmt.Errorf("pagination: maximum cursor length %d, want at least 1", p.maxCursor)
	case p.now == nil:
		return nil, errors.New("pagination: nil clock")
	}
	seen := map[string]bool{}
	for _, n := range []string{p.names.Limit, p.names.Offset, p.names.Cursor, p.names.After, p.names.Before, p.names.Total} {
		if n != "" && seen[n] {
			return nil, fmt.Errorf("pagination: parameter name %q used twice", n)
		}
		seen[n] = true
	}
	for _, b := range p.bind {
		if seen[b] {
			return nil, fmt.Errorf("pagination: cannot bind the paging parameter %q", b)
		}
	}
	return p, nil
}

// Style returns the paginator's wire style.
func (p *Paginator) Style() Style { return p.style }

// Params are the paging parameters of one list request, as [Paginator.Parse]
// read and checked them. A store fetches Limit+1 rows (see [Params.Fetch])
// in the direction of travel from the boundary, and [Build] turns them into
// a page.
type Params struct {
	// Limit is the page size: the request's limit, or the default.
	Limit int
	// Offset is the zero-based position to start at, for offset paging;
	// 0 when the request pages by cursor or gives no offset.
	Offset int
	// Backward reports paging towards the start of the list: a backward
	// cursor or ending_before.
	Backward bool
	// Cursor is the verified cursor of [StandardStyle] (lastKey); nil when
	// the request has none.
	Cursor *Cursor
	// ID is the object ID of starting_after or ending_before in
	// [RecordsStyle]; the service looks the object up (within the caller's
	// scope) to find its sort values. Empty when the request has none.
	ID string
	// Total reports whether the client asked for the total count (see
	// [Names].Total).
	Total bool

	p    *Paginator
	bind binding
	idOf string // the parameter ID came from
}

// Fetch returns how many rows to ask the store for: Limit+1, so that the
// extra row tells whether more follow.
func (ps Params) Fetch() int { return ps.Limit + 1 }

// After returns the sort values to page from: the cursor's values, or nil
// on the first page. In [RecordsStyle] the service finds them by looking
// up ID.
func (ps Params) After() []any {
	if ps.Cursor == nil {
		return nil
	}
	return ps.Cursor.Values
}

// UnknownID returns the 400 to answer when the object named by ID is well
// formed but does not exist (in the caller's scope): an [ErrUnknownCursor]
// naming the parameter it came from, with the field code "NOT_FOUND".
func (ps Params) UnknownID() error {
	name := ps.idOf
	if name == "" {
		name = defaultNames().After
	}
	p := paramProblem(ErrUnknownCursor, name, fmt.Sprintf("%s does not name an object in this list", name))
	p.Fields[0].Code = fieldNotFound
	return p
}

// Parse reads and checks the paging parameters of r: those of the
// paginator's style, the offset and the total flag; other query parameters
// are left alone. Every mistake is a 400 *problem.Problem naming the
// parameter, matching one of the Err definitions with errors.Is, and the
// Params are then zero; Parse never fails otherwise.
func (p *Paginator) Parse(r *http.Request) (Params, error) {
	ps := Params{Limit: p.defLimit, p: p}
	n := &p.names
	names := [...]string{n.Limit, n.Offset, n.Cursor, n.After, n.Before, n.Total}
	if p.style == StandardStyle {
		names[qAfter], names[qBefore] = "", ""
	} else {
		names[qCursor] = ""
	}
	var q query
	eachParam(r.URL.RawQuery, func(k, v string) {
		for i, name := range names {
			if k == name && name != "" {
				if q.count[i] == 0 {
					q.value[i] = v
				}
				q.count[i]++
			}
		}
	})
	for i, name := range names {
		if q.count[i] > 1 {
			return Params{}, paramProblem(ErrDuplicateParameter, name, fmt.Sprintf("%s is given %d times; give it at most once", name, q.count[i]))
		}
	}
	if v, ok := q.get(qLimit); ok {
		l, err := p.parseLimit(v)
		if err != nil {
			return Params{}, err
		}
		ps.Limit = l
	}
	offset, hasOffset := q.get(qOffset)
	var cursorName, cursor string
	if p.style == StandardStyle {
		if v, ok := q.get(qCursor); ok {
			cursorName, cursor = n.Cursor, v
		}
	} else {
		after, hasAfter := q.get(qAfter)
		before, hasBefore := q.get(qBefore)
		switch {
		case hasAfter && hasBefore:
			return Params{}, paramProblem(ErrConflictingCursors, n.Before, fmt.Sprintf("give either %s or %s, not both", n.After, n.Before))
		case hasAfter:
			cursorName, cursor = n.After, after
		case hasBefore:
			cursorName, cursor = n.Before, before
			ps.Backward = true
		}
	}
	if hasOffset {
		switch {
		case cursorName != "":
			return Params{}, paramProblem(ErrCursorWithOffset, n.Offset, fmt.Sprintf("give either %s or %s, not both", cursorName, n.Offset))
		case !p.offset:
			return Params{}, paramProblem(ErrOffsetNotAllowed, n.Offset, fmt.Sprintf("this list pages by cursor; use %s instead of %s", p.nextName(), n.Offset))
		}
		o, ok := parseDigits(offset)
		if !ok || (p.maxOffset > 0 && o > p.maxOffset) {
			msg := fmt.Sprintf("%s must be a whole number of 0 or more", n.Offset)
			if ok {
				msg = fmt.Sprintf("%s must be at most %d; page further with %s", n.Offset, p.maxOffset, p.nextName())
			}
			return Params{}, paramProblem(ErrInvalidOffset, n.Offset, msg)
		}
		ps.Offset = o
	}
	if n.Total != "" {
		if v, ok := q.get(qTotal); ok {
			switch v {
			case "true", "1":
				ps.Total = true
			case "false", "0":
			default:
				return Params{}, paramProblem(ErrInvalidParameter, n.Total, n.Total+" must be true or false")
			}
		}
	}
	ps.bind = p.binding(r)
	switch {
	case cursorName == "":
	case p.style == RecordsStyle:
		if !validID(cursor, p.maxID) {
			return Params{}, paramProblem(ErrMalformedCursor, cursorName, fmt.Sprintf("%s must be an object ID of 1 to %d visible ASCII characters", cursorName, p.maxID))
		}
		ps.ID, ps.idOf = cursor, cursorName
	default:
		// One allocation holds the cursor and (usually) its values.
		pc := new(parsedCursor)
		c, err := p.decodeInto(cursor, cursorName, ps.bind, pc.values[:])
		if err != nil {
			return Params{}, err
		}
		pc.Cursor = c
		ps.Cursor, ps.Backward = &pc.Cursor, c.Backward
	}
	return ps, nil
}

// parsedCursor is a verified cursor with room for the values of a typical
// keyset position (a sort value or two and the id).
type parsedCursor struct {
	Cursor
	values [4]any
}

// nextName is the parameter that continues a list.
func (p *Paginator) nextName() string {
	if p.style == RecordsStyle {
		return p.names.After
	}
	return p.names.Cursor
}

// query holds the paging parameters of a request, indexed as in Parse.
type query struct {
	count [6]int
	value [6]string
}

func (q *query) get(i int) (string, bool) { return q.value[i], q.count[i] > 0 }

// Indexes of the paging parameters in a query.
const (
	qLimit = iota
	qOffset
	qCursor
	qAfter
	qBefore
	qTotal
)

// parseLimit checks a limit against the configured range.
func (p *Paginator) parseLimit(v string) (int, error) {
	name := p.names.Limit
	l, ok := parseDigits(v)
	if !ok {
		return 0, paramProblem(ErrInvalidLimit, name, fmt.Sprintf("%s must be a whole number from 1 to %d", name, p.maxLimit))
	}
	switch {
	case l < 1:
		return 0, paramProblem(ErrLimitOutOfRange, name, fmt.Sprintf("%s must be from 1 to %d", name, p.maxLimit))
	case l > p.maxLimit && p.clamp:
		return p.maxLimit, nil
	case l > p.maxLimit:
		return 0, paramProblem(ErrLimitOutOfRange, name, fmt.Sprintf("%s must be from 1 to %d", name, p.maxLimit))
	}
	return l, nil
}

// parseDigits reads a plain decimal number: ASCII digits only, no sign,
// space, point or exponent. Numbers above 999,999,999 saturate to
// 1,000,000,000 (out of any sensible range) instead of overflowing.
func parseDigits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < 1e9 {
			n = n*10 + int(c-'0')
		}
	}
	return min(n, 1e9), true
}

// validID reports an object ID of 1 to max visible ASCII characters.
func validID(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// decode verifies a cursor for a request with binding b.
func (p *Paginator) decode(token, name string, b binding) (Cursor, error) {
	return p.decodeInto(token, name, b, nil)
}

// decodeInto is decode that stores the cursor values in vals when they
// fit (see parsePayloadInto).
func (p *Paginator) decodeInto(token, name string, b binding, vals []any) (Cursor, error) {
	if p.keys == nil {
		return Cursor{}, errNoKeyring
	}
	pl, oerr := p.keys.openInto(token, p.maxCursor, vals)
	switch oerr {
	case openMalformed:
		return Cursor{}, paramProblem(ErrMalformedCursor, name, fmt.Sprintf("%s is not a cursor this API issued; pass the value from the previous page unchanged", name))
	case openTampered:
		return Cursor{}, paramProblem(ErrTamperedCursor, name, fmt.Sprintf("%s has been altered; pass the value from the previous page unchanged", name))
	case openRetired:
		return Cursor{}, paramProblem(ErrExpiredCursor, name, fmt.Sprintf("%s is no longer valid; start again from the first page", name))
	}
	if pl.expires != 0 && p.now().UnixMilli() >= pl.expires {
		return Cursor{}, paramProblem(ErrExpiredCursor, name, fmt.Sprintf("%s has expired; start again from the first page", name))
	}
	if pl.bind.scope != b.scope {
		return Cursor{}, paramProblem(ErrForeignCursor, name, fmt.Sprintf("%s was issued for another list or account", name))
	}
	if pl.bind.filter != b.filter {
		return Cursor{}, paramProblem(ErrCursorMismatch, name, fmt.Sprintf("%s was issued for other filter or sort parameters; repeat them unchanged or start again without %s", name, name))
	}
	return pl.cursor, nil
}

// encode signs c for requests with binding b.
func (p *Paginator) encode(c Cursor, b binding) (string, error) {
	return p.encodeAt(c, b, p.expiry())
}

// expiry returns the expiry, in unix milliseconds, of a cursor made now:
// 0 (never) without a TTL.
func (p *Paginator) expiry() int64 {
	if p.ttl <= 0 {
		return 0
	}
	return p.now().Add(p.ttl).UnixMilli()
}

// encodeAt signs c for requests with binding b, expiring at expires (see
// expiry).
func (p *Paginator) encodeAt(c Cursor, b binding, expires int64) (string, error) {
	if p.keys == nil {
		return "", errNoKeyring
	}
	pl := payload{cursor: c, bind: b, expires: expires}
	return p.keys.seal(&pl, sealOptions{encrypt: p.encrypt, maxLen: p.maxCursor})
}

// EncodeCursor signs c as a cursor valid for requests like r (same route,
// scope and bound parameters). [Build] calls it for the next and previous
// cursors; call it directly to make cursors for other links. A cursor
// longer than the paginator accepts (see [WithMaxCursorLen]) is an error,
// never a token that the next request would reject.
func (p *Paginator) EncodeCursor(r *http.Request, c Cursor) (string, error) {
	return p.encode(c, p.binding(r))
}

// DecodeCursor verifies a cursor for a request like r, as [Paginator.Parse]
// does for the cursor parameter; errors are the same 400 problems.
func (p *Paginator) DecodeCursor(r *http.Request, token string) (Cursor, error) {
	return p.decode(token, p.names.Cursor, p.binding(r))
}
