package pagination

import (
	"errors"
	"slices"
)

// Keyset is what [Build] needs to know about a row: its id, shown as
// first_id/last_id, and its sort values ending with the unique tiebreaker
// (usually the id again), which the cursors carry.
type Keyset struct {
	// ID is the row's object ID.
	ID string
	// Values are the row's sort values, in sort order, ending with a
	// unique tiebreaker. See [Cursor] for the types allowed.
	Values []any
}

// errNoParams is returned by Build for Params not made by Paginator.Parse.
var errNoParams = errors.New("pagination: Params were not made by Paginator.Parse")

// Build makes a page from the rows a store returned for ps: at most
// ps.Fetch() rows (Limit+1), in the direction of travel, starting next to
// the boundary. For a backward page that is the rows before the boundary,
// nearest first (descending sort order); Build trims the extra row and
// returns the items in display (ascending) order, without changing rows.
//
// The page reports whether items follow and precede it, the first and last
// ids, the count, the offset (from the request, or carried in the cursor),
// and the cursors of the next and previous pages: signed cursors in
// [StandardStyle], the last and first ids in [RecordsStyle]. An empty page
// has no ids and no cursors. Build fails only when a cursor cannot be made:
// a sort value of an unsupported type, more than 16 values, a cursor longer
// than [WithMaxCursorLen] accepts, or no randomness for encryption.
func Build[T any](ps Params, rows []T, key func(T) Keyset) ([]T, Page, error) {
	if ps.p == nil {
		return nil, Page{}, errNoParams
	}
	more := len(rows) > ps.Limit
	items := rows
	if more {
		items = rows[:ps.Limit]
	}
	if ps.Backward {
		items = slices.Clone(items)
		slices.Reverse(items)
	}
	if items == nil {
		items = []T{}
	}
	pg := Page{Count: len(items), Limit: ps.Limit, Backward: ps.Backward, Style: ps.p.style}
	started := ps.Cursor != nil || ps.ID != "" || ps.Offset > 0
	if ps.Backward {
		pg.HasPrev, pg.HasNext = more, true
	} else {
		pg.HasNext, pg.HasPrev = more, started
	}
	switch {
	case ps.Cursor != nil && ps.Cursor.Pos >= 0 && !ps.Backward:
		pg.Offset = int(ps.Cursor.Pos) + 1
	case ps.Cursor != nil && ps.Cursor.Pos >= 0 && pg.HasPrev:
		pg.Offset = max(int(ps.Cursor.Pos)-len(items), 0)
	case ps.Cursor == nil:
		pg.Offset = ps.Offset
	}
	if len(items) == 0 {
		pg.HasNext, pg.HasPrev = false, false
		return items, pg, nil
	}
	first, last := key(items[0]), key(items[len(items)-1])
	pg.FirstID, pg.LastID = first.ID, last.ID
	if ps.p.style == RecordsStyle {
		if pg.HasNext {
			pg.NextCursor = last.ID
		}
		if pg.HasPrev {
			pg.PrevCursor = first.ID
		}
		return items, pg, nil
	}
	pos := int64(-1)
	if ps.Cursor == nil || ps.Cursor.Pos >= 0 {
		pos = int64(pg.Offset)
	}
	var err error
	expires := ps.p.expiry() // one clock reading for both cursors
	if pg.HasNext {
		c := Cursor{Values: last.Values, Pos: -1}
		if pos >= 0 {
			c.Pos = pos + int64(len(items)) - 1
		}
		if pg.NextCursor, err = ps.p.encodeAt(c, ps.bind, expires); err != nil {
			return nil, Page{}, err
		}
	}
	if pg.HasPrev {
		if pg.PrevCursor, err = ps.p.encodeAt(Cursor{Values: first.Values, Backward: true, Pos: pos}, ps.bind, expires); err != nil {
			return nil, Page{}, err
		}
	}
	return items, pg, nil
}

// WithTotal returns a copy of p that reports n as the total number of
// items in the list. Count totals only when the client asks (see
// [Params].Total): counting is often the most expensive query of a list.
func (p Page) WithTotal(n int64) Page {
	p.Total = &n
	return p
}
