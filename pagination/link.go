package pagination

import (
	"net/http"
	"net/url"
	"strings"
)

// Link returns the RFC 8288 Link header value for page, a page of the
// list r asked for: absolute URLs with rel "next" and "prev" when the page
// has a next or previous cursor, and "first" when the page is not the
// first. Each URL is r's, with every query parameter kept in its order
// except the paging ones (cursor, IDs, offset), which are replaced by the
// one that leads to the page; values are escaped again, so the URL is safe
// between '<' and '>'. Link returns "" when there is nothing to link to.
//
// The scheme is https when r came over TLS and the host is r.Host, unless
// [WithForwardedHeaders] is set.
func (p *Paginator) Link(r *http.Request, page Page) string {
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

// SetLink sets the Link header of w for page, or leaves it unset when
// [Paginator.Link] is "". Call it before writing the status.
func (p *Paginator) SetLink(w http.ResponseWriter, r *http.Request, page Page) {
	if v := p.Link(r, page); v != "" {
		w.Header().Set("Link", v)
	}
}

// pageURL is r's absolute URL without paging parameters, plus name=value
// when name is not empty.
func (p *Paginator) pageURL(r *http.Request, name, value string) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if p.forwarded {
		if v := firstValue(r.Header.Get("X-Forwarded-Proto")); v == "http" || v == "https" {
			scheme = v
		}
		if v := firstValue(r.Header.Get("X-Forwarded-Host")); v != "" && validHost(v) {
			host = v
		}
	}
	if host == "" {
		host = r.URL.Host
	}
	var b strings.Builder
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
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

// firstValue is the first element of a comma-separated header value.
func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.ToLower(strings.TrimSpace(v))
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
