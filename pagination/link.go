package pagination

import (
	"net/http"
	"net/url"
	"strings"
)

// SetLink sets the RFC 8288 Link header of w for page, a page of the list
// r asked for, or leaves it unset when there is nothing to link to. Call it
// before writing the status. The header links rel "next" and "prev" when
// the page has a next or previous cursor, and "first" when the page is not
// the first. Each URL is r's path and query, with every query parameter
// kept in its order except the paging ones (cursor, IDs, offset), which are
// replaced by the one that leads to the page; values are escaped again, so
// the URL is safe between '<' and '>'.
//
// The URLs are relative references ("/patients?limit=2&lastKey=…"), or
// absolute ones under the base URL of [WithBaseURL]; they never contain
// the request's Host header.
func (p *Paginator) SetLink(w http.ResponseWriter, r *http.Request, page Page) {
	if v := p.link(r, page); v != "" {
		w.Header().Set("Link", v)
	}
}

// link returns the Link header value of SetLink, or "".
func (p *Paginator) link(r *http.Request, page Page) string {
	var links []string
	next, prev := p.names.Cursor, p.names.Cursor
	if p.style == RecordsStyle {
		next, prev = p.names.After, p.names.Before
	}
	if page.NextCursor != "" {
		links = append(links, "<"+p.pageURL(r, next, page.NextCursor)+`>; rel="next"`)
	}
	if page.PrevCursor != "" {
		links = append(links, "<"+p.pageURL(r, prev, page.PrevCursor)+`>; rel="prev"`)
	}
	if page.HasPrev || page.Offset > 0 {
		links = append(links, "<"+p.pageURL(r, "", "")+`>; rel="first"`)
	}
	return strings.Join(links, ", ")
}

// pageURL is r's URL (relative, or under the base URL) without paging
// parameters, plus name=value when name is not empty.
func (p *Paginator) pageURL(r *http.Request, name, value string) string {
	var b strings.Builder
	b.WriteString(p.baseURL)
	path := r.URL.EscapedPath()
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	if p.baseURL == "" && strings.HasPrefix(path, "//") {
		// "//host/…" would be a network-path reference to another host.
		path = "/." + path
	}
	b.WriteString(path)
	sep := byte('?')
	add := func(k, v string) {
		b.WriteByte(sep)
		sep = '&'
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	n := &p.names
	for raw := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if raw == "" {
			continue
		}
		rk, rv, _ := strings.Cut(raw, "=")
		k, err1 := url.QueryUnescape(rk)
		v, err2 := url.QueryUnescape(rv)
		if err1 != nil || err2 != nil {
			continue // net/url drops such pairs too
		}
		if k == n.Offset || (p.style == StandardStyle && k == n.Cursor) ||
			(p.style == RecordsStyle && (k == n.After || k == n.Before)) {
			continue
		}
		add(k, v)
	}
	if name != "" {
		add(name, value)
	}
	return b.String()
}

// validHost reports a host[:port] of letters, digits and the characters
// of DNS names and IP literals.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '-', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}
