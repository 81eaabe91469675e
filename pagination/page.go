package pagination

// Page describes one page of a list: what a store returned for a request,
// trimmed and ordered for display, with the cursors to move on. Writers
// render it in the wire style of their dialect: the standard envelope's
// pagination object (see [Page.Standard]) or the records style (see
// [Records]).
type Page struct {
	// Count is the number of items on this page.
	Count int
	// Limit is the page size that was asked for.
	Limit int
	// Offset is the zero-based position of the first item: the request's
	// offset, or on cursor pages the position carried in the cursor (as it
	// was when the cursor was made); 0 when unknown (records-style IDs).
	Offset int
	// HasNext reports whether items follow this page; HasPrev whether
	// items precede it. Each has a cursor (NextCursor, PrevCursor) when
	// the page is not empty.
	HasNext, HasPrev bool
	// Backward reports a page fetched towards the start of the list (a
	// backward cursor or ending_before). The records style's has_more,
	// "more in the direction of travel", is HasPrev on a backward page and
	// HasNext otherwise; the standard style's hasNext is always HasNext.
	Backward bool
	// FirstID and LastID are the ids of the first and last items as
	// displayed; empty on an empty page (rendered as null).
	FirstID, LastID string
	// NextCursor continues after the last item and PrevCursor before the
	// first; empty when there is no such page (rendered as null). They are
	// signed cursors (lastKey) in the standard style and the last and first
	// ids (starting_after, ending_before) in the records style.
	NextCursor, PrevCursor string
	// Style is the wire style of the paginator that built the page: a
	// writer refuses to render a page in another style, since its cursors
	// would not page (a records-style id where a signed cursor is expected,
	// or the reverse).
	Style Style
	// Total is the number of items in the whole list, when it was asked
	// for; nil otherwise (and then not rendered).
	Total *int64
}

// Standard is the standard envelope's pagination object (seeds/001).
type Standard struct {
	Count   int     `json:"count"`
	HasNext bool    `json:"hasNext"`
	Limit   int     `json:"limit"`
	Offset  int     `json:"offset"`
	LastKey *string `json:"lastKey"`
	Total   *int64  `json:"total,omitempty"`
}

// Standard returns the page as the standard envelope's pagination object:
// lastKey is the next cursor, or null on the last page.
func (p Page) Standard() Standard {
	s := Standard{Count: p.Count, HasNext: p.HasNext, Limit: p.Limit, Offset: p.Offset, Total: p.Total}
	if p.NextCursor != "" {
		c := p.NextCursor
		s.LastKey = &c
	}
	return s
}

// Records is a list in the records style (seeds/003), made by [RecordsOf]:
// {"records":[…],"has_more":…,"first_id":…,"last_id":…}. Records is never
// encoded as null.
type Records[T any] struct {
	Records []T     `json:"records"`
	HasMore bool    `json:"has_more"`
	FirstID *string `json:"first_id"`
	LastID  *string `json:"last_id"`
}

// RecordsOf returns items and p in the records style; a nil items becomes
// an empty list. has_more is p.HasPrev when p.Backward and p.HasNext
// otherwise.
func RecordsOf[T any](items []T, p Page) Records[T] {
	if items == nil {
		items = []T{}
	}
	more := p.HasNext
	if p.Backward {
		more = p.HasPrev
	}
	r := Records[T]{Records: items, HasMore: more}
	if p.FirstID != "" {
		f := p.FirstID
		r.FirstID = &f
	}
	if p.LastID != "" {
		l := p.LastID
		r.LastID = &l
	}
	return r
}
