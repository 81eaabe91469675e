package pagination

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/apikit-go/apikit/problem"
)

// Fetched is one page as a client received it.
type Fetched[T any] struct {
	// Items are the page's items in display order.
	Items []T
	// HasMore reports whether the server says more items follow.
	HasMore bool
	// Next is what fetches the following page: for [HTTPFetch] its
	// absolute URL, for your own [FetchFunc] whatever it takes (a lastKey,
	// a last_id). It must be set when HasMore is.
	Next string
}

// FetchFunc fetches the page that next leads to; next is "" for the first
// page.
type FetchFunc[T any] func(ctx context.Context, next string) (Fetched[T], error)

// ErrStalled is returned by the iterators when the server says more items
// follow but gives no cursor, or one it gave before: following it would
// loop forever.
var ErrStalled = errors.New("pagination: the server reports more items but the cursor does not advance")

// Pages returns an iterator over the pages of a list, from the first
// page on, as fetch returns them. It stops after the page that has no more,
// when the loop breaks, or after yielding an error once: fetch's error,
// ctx's error (checked before every page), or [ErrStalled].
func Pages[T any](ctx context.Context, fetch FetchFunc[T]) iter.Seq2[Fetched[T], error] {
	return func(yield func(Fetched[T], error) bool) {
		seen := map[string]bool{}
		next := ""
		for {
			if err := ctx.Err(); err != nil {
				yield(Fetched[T]{}, err)
				return
			}
			f, err := fetch(ctx, next)
			if err != nil {
				yield(Fetched[T]{}, err)
				return
			}
			if !yield(f, nil) || !f.HasMore {
				return
			}
			if f.Next == "" || seen[f.Next] {
				yield(Fetched[T]{}, fmt.Errorf("%w (after cursor %q)", ErrStalled, next))
				return
			}
			seen[f.Next] = true
			next = f.Next
		}
	}
}

// All returns an iterator over every item of a list, fetching pages as
// the loop needs them. It stops and yields errors as [Pages] does; an
// error is yielded with the zero T.
func All[T any](ctx context.Context, fetch FetchFunc[T]) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for page, err := range Pages(ctx, fetch) {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range page.Items {
				if !yield(it, nil) {
					return
				}
			}
		}
	}
}

// Decoder reads one page from a successful (2xx) response of
// [HTTPFetch]: the items, whether more follow, and in Next the absolute URL
// of the next page. It sees the whole response (status, headers, body,
// and the request in resp.Request); HTTPFetch closes the body. The body
// reader is limited to 32 MiB.
type Decoder[T any] func(resp *http.Response) (Fetched[T], error)

// maxBody bounds the response bodies HTTPFetch reads.
const maxBody = 32 << 20

// HTTPFetch returns a [FetchFunc] that sends req for the first page and
// then, for each following page, a copy of req (same method and headers,
// such as Authorization) for the URL that decode put in Next; decode is
// [DecodeStandard], [DecodeRecords], [DecodeLink] or your own. req must
// have no body; client nil means http.DefaultClient. The context of each
// request is the iterator's.
//
// A next URL on another scheme, host or port than req's is an error, so
// that req's credentials never go to a server the list does not belong to.
// A response that is not 2xx becomes the *problem.Problem that
// [problem.Parse] reads from it.
func HTTPFetch[T any](client *http.Client, req *http.Request, decode Decoder[T]) FetchFunc[T] {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context, next string) (Fetched[T], error) {
		if req.Body != nil && req.Body != http.NoBody {
			return Fetched[T]{}, errors.New("pagination: a list request must have no body")
		}
		r := req.Clone(ctx)
		if next != "" {
			u, err := url.Parse(next)
			if err != nil {
				return Fetched[T]{}, fmt.Errorf("pagination: next page URL: %w", err)
			}
			if u.Scheme != req.URL.Scheme || u.Host != req.URL.Host {
				return Fetched[T]{}, fmt.Errorf("pagination: next page %s is not on %s://%s", u.Redacted(), req.URL.Scheme, req.URL.Host)
			}
			r.URL = u // same origin: req.Host, if set, still applies
		}
		if r.Header.Get("Accept") == "" {
			r.Header.Set("Accept", "application/json")
		}
		resp, err := client.Do(r)
		if err != nil {
			return Fetched[T]{}, err
		}
		defer func() {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
			_ = resp.Body.Close()
		}()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			if p := problem.Parse(resp); p != nil {
				return Fetched[T]{}, p
			}
			return Fetched[T]{}, fmt.Errorf("pagination: unexpected status %s from %s", resp.Status, r.URL.Redacted())
		}
		if resp.Request == nil {
			resp.Request = r
		}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxBody), resp.Body}
		f, err := decode(resp)
		if err != nil {
			return Fetched[T]{}, fmt.Errorf("pagination: decode page from %s: %w", r.URL.Redacted(), err)
		}
		return f, nil
	}
}

// nextURL is the URL of the page after resp: the target of its Link
// header with rel="next" when it has one (resolved against the request's
// URL), or else the request's URL with the query parameter name set to
// value.
func nextURL(resp *http.Response, name, value string) (string, error) {
	if ref, ok := linkNext(resp.Header.Values("Link")); ok {
		u, err := resp.Request.URL.Parse(ref)
		if err != nil {
			return "", fmt.Errorf("pagination: link rel=next %q: %w", ref, err)
		}
		return u.String(), nil
	}
	u := *resp.Request.URL
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// DecodeStandard reads a standard-style body (seeds/001):
// {"data":[…],"pagination":{"hasNext":…,"lastKey":…}}. The next page is
// the Link header's rel="next" target when the response has one (so a
// server with its own parameter names is followed too), or else the
// request's URL with lastKey set to the body's lastKey.
func DecodeStandard[T any](resp *http.Response) (Fetched[T], error) {
	var v struct {
		Data       []T       `json:"data"`
		Pagination *Standard `json:"pagination"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return Fetched[T]{}, err
	}
	f := Fetched[T]{Items: v.Data}
	if v.Pagination != nil {
		f.HasMore = v.Pagination.HasNext
		if v.Pagination.LastKey != nil {
			var err error
			if f.Next, err = nextURL(resp, "lastKey", *v.Pagination.LastKey); err != nil {
				return Fetched[T]{}, err
			}
		}
	}
	return f, nil
}

// DecodeRecords reads a records-style body (seeds/003):
// {"records":[…],"has_more":…,"last_id":…}. The next page is the Link
// header's rel="next" target when the response has one, or else the
// request's URL with starting_after set to last_id.
func DecodeRecords[T any](resp *http.Response) (Fetched[T], error) {
	var v Records[T]
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return Fetched[T]{}, err
	}
	f := Fetched[T]{Items: v.Records, HasMore: v.HasMore}
	if v.LastID != nil {
		var err error
		if f.Next, err = nextURL(resp, "starting_after", *v.LastID); err != nil {
			return Fetched[T]{}, err
		}
	}
	return f, nil
}

// DecodeLink reads a page whose body is a bare JSON array (the Plain
// dialect) and whose next page is the target of the RFC 8288 Link header
// with rel="next", resolved against the request's URL; more items follow
// when there is such a link.
func DecodeLink[T any](resp *http.Response) (Fetched[T], error) {
	var items []T
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil {
		return Fetched[T]{}, err
	}
	f := Fetched[T]{Items: items}
	if _, ok := linkNext(resp.Header.Values("Link")); ok {
		next, err := nextURL(resp, "", "")
		if err != nil {
			return Fetched[T]{}, err
		}
		f.HasMore, f.Next = true, next
	}
	return f, nil
}

// linkNext returns the target of the first link with relation type "next"
// in Link header values (RFC 8288 §3): comma-separated link-values
// "<URI-Reference>; param=value; …", where rel may be quoted and hold
// several space-separated types.
func linkNext(values []string) (string, bool) {
	for _, v := range values {
		for v != "" {
			v = strings.TrimLeft(v, " \t,")
			if !strings.HasPrefix(v, "<") {
				break // not a link-value: give up on this header value
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			target := v[1:end]
			v = v[end+1:]
			next := false
			for {
				v = strings.TrimLeft(v, " \t")
				if !strings.HasPrefix(v, ";") {
					break
				}
				v = strings.TrimLeft(v[1:], " \t")
				i := strings.IndexAny(v, "=;,")
				if i < 0 {
					i = len(v)
				}
				name, val := strings.TrimSpace(v[:i]), ""
				if v = v[i:]; strings.HasPrefix(v, "=") {
					val, v = paramValue(strings.TrimLeft(v[1:], " \t"))
				}
				if strings.EqualFold(name, "rel") {
					for _, t := range strings.Fields(val) {
						if strings.EqualFold(t, "next") {
							next = true
						}
					}
				}
			}
			if next {
				return target, true
			}
			// v now starts at the ',' before the next link-value, or is
			// garbage that the loop skips.
			if i := strings.IndexByte(v, ','); i >= 0 {
				v = v[i+1:]
			} else {
				v = ""
			}
		}
	}
	return "", false
}

// paramValue reads a link-param value, a quoted-string or a token, and
// returns it with the rest of the header value.
func paramValue(s string) (val, rest string) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; c {
			case '\\':
				if i+1 < len(s) {
					i++
					b.WriteByte(s[i])
				}
			case '"':
				return b.String(), s[i+1:]
			default:
				b.WriteByte(c)
			}
		}
		return b.String(), ""
	}
	i := strings.IndexAny(s, ";,")
	if i < 0 {
		return strings.TrimSpace(s), ""
	}
	return strings.TrimSpace(s[:i]), s[i:]
}
