package pagination

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
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

// Names are the query parameter names a [Paginator] reads (see
// [WithNames]). Empty fields keep their defaults.
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

// defaultNames are the parameter names of the seed APIs.
func defaultNames() Names {
	return Names{Limit: "limit", Offset: "offset", Cursor: "lastKey", After: "starting_after", Before: "ending_before"}
}

func (n Names) orDefault() Names {
	d := defaultNames()
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

// Defaults of a [Paginator]; each option's doc states its own.
const (
	defaultLimit     = 50
	defaultMaxLimit  = 100
	defaultMaxIDLen  = 255
	defaultMaxCursor = 1024
)

// Option configures a [Paginator].
type Option struct{ apply func(*Paginator) }

// WithStyle selects the wire style. Default: [StandardStyle].
func WithStyle(s Style) Option { return Option{func(p *Paginator) { p.style = s }} }

// WithNames renames query parameters; empty fields keep their defaults.
// Default: limit, offset, lastKey, starting_after, ending_before, and no
// total parameter.
func WithNames(n Names) Option { return Option{func(p *Paginator) { p.names = n.orDefault() }} }

// WithLimits sets the page size used when the request gives none and the
// largest one allowed. Default: 50 and 100.
func WithLimits(defaultLimit, maxLimit int) Option {
	return Option{func(p *Paginator) { p.defLimit, p.maxLimit = defaultLimit, maxLimit }}
}

// WithClamp makes a limit above the maximum mean the maximum. By default
// such a limit is a 400 [ErrLimitOutOfRange]: a client that asks for 500
// and silently gets 100 may believe it has seen everything. Default: off.
func WithClamp() Option { return Option{func(p *Paginator) { p.clamp = true }} }

// WithOffset allows offset paging up to maxOffset (0 means no upper
// bound). Without it an offset parameter is a 400 [ErrOffsetNotAllowed]:
// deep offsets are slow for the store and skip or repeat rows when the list
// changes between pages. Default: no offset paging.
func WithOffset(maxOffset int) Option {
	return Option{func(p *Paginator) { p.offset, p.maxOffset = true, maxOffset }}
}

// WithBind binds cursors to the values of these query parameters (filters
// and sort order): a cursor sent with other values for them is a 400
// [ErrCursorMismatch]. Parameters not named here, and the limit, may change
// between pages. Default: none.
func WithBind(params ...string) Option {
	return Option{func(p *Paginator) { p.bind = append([]string(nil), params...) }}
}

// WithScope binds cursors to the caller's scope, typically the tenant or
// account ID taken from the authenticated request: a cursor made for one
// scope is a 400 [ErrForeignCursor] in another. The route (the URL path)
// is always bound. Default: no scope.
func WithScope(scope func(*http.Request) string) Option {
	return Option{func(p *Paginator) { p.scope = scope }}
}

// WithTTL makes cursors expire after d; 0 means never. Default: 0.
func WithTTL(d time.Duration) Option { return Option{func(p *Paginator) { p.ttl = d }} }

// WithClock sets the clock that stamps and checks cursor expiry. Default:
// time.Now.
func WithClock(now func() time.Time) Option { return Option{func(p *Paginator) { p.now = now }} }

// WithEncryption encrypts the content of new cursors with AES-256-GCM (a
// key derived from the active key's secret), so their sort values cannot be
// read. Cursors are signed either way. Default: off.
func WithEncryption() Option { return Option{func(p *Paginator) { p.encrypt = true }} }

// WithMaxCursorLen sets the longest cursor accepted, in characters, and,
// in [RecordsStyle], the longest object ID. [Paginator.Parse] rejects a
// longer one before decoding it, and [Build] and [Paginator.EncodeCursor]
// refuse to make one. Default: 1024 for cursors, 255 for object IDs.
func WithMaxCursorLen(n int) Option {
	return Option{func(p *Paginator) { p.maxCursor, p.maxID = n, n }}
}

// WithBaseURL makes the URLs of [Paginator.SetLink] absolute, made of base
// (scheme, host and an optional path prefix, such as
// "https://api.example.com" or "https://example.com/api") followed by the
// request's path and query. Without it they are relative references
// ("/patients?limit=2&lastKey=…"), which RFC 8288 resolves against the
// request's URL. The request's Host header is never used: an attacker
// controls it (and X-Forwarded-Host) and could point a client's next page,
// with its credentials, at another server. Default: relative references.
func WithBaseURL(base string) Option {
	return Option{func(p *Paginator) {
		p.baseURL, p.baseErr = parseBaseURL(base)
	}}
}

// parseBaseURL checks a base URL: http or https, a host, no query,
// fragment or user info; the trailing slash is dropped.
func parseBaseURL(base string) (string, error) {
	u, err := url.Parse(base)
	switch {
	case err != nil:
		return "", fmt.Errorf("pagination: base URL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("pagination: base URL %q: want an http or https URL", base)
	case u.Host == "" || !validHost(u.Host):
		return "", fmt.Errorf("pagination: base URL %q: want a host", base)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("pagination: base URL %q: want no user info, query or fragment", base)
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/"), nil
}
