package pagination

import (
	"net/http"
	"time"
)

// Style is a list's wire style: which query parameters page it and which
// response shape describes a page.
type Style uint8

const (
	// StandardStyle pages with limit, offset and lastKey, a signed opaque
	// cursor, and describes a page with the standard pagination object
	// {count,hasNext,limit,offset,lastKey} (see [Page.Standard]).
	StandardStyle Style = iota
	// RecordsStyle pages with limit, starting_after and ending_before,
	// which are plain object IDs, and describes a page as
	// {records,has_more,first_id,last_id} (see [RecordsOf]).
	RecordsStyle
)

// String returns "standard" or "records".
func (s Style) String() string {
	switch s {
	case StandardStyle:
		return "standard"
	case RecordsStyle:
		return "records"
	}
	return "unknown"
}

// Names are the query parameter names a [Paginator] reads. Empty fields
// keep their defaults.
type Names struct {
	// Limit is the page size; default "limit".
	Limit string
	// Offset is the zero-based position of the first item; default
	// "offset".
	Offset string
	// Cursor is the signed cursor of [StandardStyle]; default "lastKey".
	Cursor string
	// After and Before are the object IDs of [RecordsStyle]; default
	// "starting_after" and "ending_before".
	After, Before string
	// Total, when set, names a boolean parameter ("true"/"false", "1"/"0")
	// by which a client asks for the total count; default none.
	Total string
}

// DefaultNames returns the parameter names of the seed APIs.
func DefaultNames() Names {
	return Names{Limit: "limit", Offset: "offset", Cursor: "lastKey", After: "starting_after", Before: "ending_before"}
}

func (n Names) orDefault() Names {
	d := DefaultNames()
	if n.Limit == "" {
		n.Limit = d.Limit
	}
	if n.Offset == "" {
		n.Offset = d.Offset
	}
	if n.Cursor == "" {
		n.Cursor = d.Cursor
	}
	if n.After == "" {
		n.After = d.After
	}
	if n.Before == "" {
		n.Before = d.Before
	}
	return n
}

// Defaults of a [Paginator].
const (
	DefaultLimit    = 50
	DefaultMaxLimit = 100
	// DefaultMaxIDLen is the longest object ID accepted in starting_after
	// and ending_before.
	DefaultMaxIDLen = 255
)

// Option configures a [Paginator].
type Option struct{ apply func(*Paginator) }

// WithStyle selects the wire style; the default is [StandardStyle].
func WithStyle(s Style) Option { return Option{func(p *Paginator) { p.style = s }} }

// WithNames renames query parameters; empty fields keep the defaults of
// [DefaultNames].
func WithNames(n Names) Option { return Option{func(p *Paginator) { p.names = n.orDefault() }} }

// WithLimits sets the page size used when the request gives none (default
// 50) and the largest one allowed (default 100).
func WithLimits(defaultLimit, maxLimit int) Option {
	return Option{func(p *Paginator) { p.defLimit, p.maxLimit = defaultLimit, maxLimit }}
}

// WithClamp makes a limit above the maximum mean the maximum. By default
// such a limit is a 400 [ErrLimitOutOfRange]: a client that asks for 500
// and silently gets 100 may believe it has seen everything.
func WithClamp() Option { return Option{func(p *Paginator) { p.clamp = true }} }

// WithOffset allows offset paging up to maxOffset (0 means no upper
// bound). Without it an offset parameter is a 400 [ErrOffsetNotAllowed]:
// deep offsets are slow for the store and skip or repeat rows when the list
// changes between pages.
func WithOffset(maxOffset int) Option {
	return Option{func(p *Paginator) { p.offset, p.maxOffset = true, maxOffset }}
}

// WithBind binds cursors to the values of these query parameters (filters
// and sort order): a cursor sent with other values for them is a 400
// [ErrCursorMismatch]. Parameters not named here, and the limit, may change
// between pages.
func WithBind(params ...string) Option {
	return Option{func(p *Paginator) { p.bind = append([]string(nil), params...) }}
}

// WithScope binds cursors to the caller's scope, typically the tenant or
// account ID taken from the authenticated request: a cursor made for one
// scope is a 400 [ErrForeignCursor] in another. The route (the URL path)
// is always bound.
func WithScope(scope func(*http.Request) string) Option {
	return Option{func(p *Paginator) { p.scope = scope }}
}

// WithTTL makes cursors expire after d; 0 (the default) means never.
func WithTTL(d time.Duration) Option { return Option{func(p *Paginator) { p.ttl = d }} }

// WithClock sets the clock that stamps and checks cursor expiry; the
// default is time.Now.
func WithClock(now func() time.Time) Option { return Option{func(p *Paginator) { p.now = now }} }

// WithEncryption encrypts the content of new cursors with AES-256-GCM (a
// key derived from the active key's secret), so their sort values cannot be
// read. Cursors are signed either way.
func WithEncryption() Option { return Option{func(p *Paginator) { p.encrypt = true }} }

// WithMaxCursorLen sets the longest cursor accepted, in characters
// (default [DefaultMaxCursorLen]), and, in [RecordsStyle], the longest
// object ID (default [DefaultMaxIDLen]).
func WithMaxCursorLen(n int) Option {
	return Option{func(p *Paginator) { p.maxCursor, p.maxID = n, n }}
}

// WithForwardedHeaders makes Link URLs use the scheme and host of the
// X-Forwarded-Proto and X-Forwarded-Host headers. Set it only behind a
// proxy that sets them; by default the scheme comes from r.TLS and the host
// from r.Host.
func WithForwardedHeaders() Option { return Option{func(p *Paginator) { p.forwarded = true }} }
