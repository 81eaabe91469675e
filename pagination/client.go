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

	"github.com/apikit-go/apikit/problem"
)

// Fetched is one page as a client received it.
type Fetched[T any] struct {
	// Items are the page's items in display order.
	Items []T
	// HasMore reports whether the server says more items follow.
	HasMore bool
	// Next is the value that fetches the following page: the lastKey of
	// the standard style, the last_id of the records style. It must be set
	// when HasMore is.
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

// Decoder reads one page from a successful (2xx) response body.
type Decoder[T any] func(body io.Reader) (Fetched[T], error)

// maxBody bounds the response bodies HTTPFetch reads.
const maxBody = 32 << 20

// HTTPFetch returns a [FetchFunc] that GETs rawURL with client (nil means
// http.DefaultClient), setting the query parameter param to the cursor of
// the page to fetch ("lastKey" or "starting_after"), and reads the page
// with decode ([DecodeStandard], [DecodeRecords] or your own). Other query
// parameters of rawURL are kept. A response that is not 2xx becomes the
// *problem.Problem that [problem.Parse] reads from it.
func HTTPFetch[T any](client *http.Client, rawURL, param string, decode Decoder[T]) FetchFunc[T] {
	if client == nil {
		client = http.DefaultClient
	}
	return func(ctx context.Context, next string) (Fetched[T], error) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return Fetched[T]{}, fmt.Errorf("pagination: list URL: %w", err)
		}
		if next != "" {
			q := u.Query()
			q.Set(param, next)
			u.RawQuery = q.Encode()
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return Fetched[T]{}, fmt.Errorf("pagination: list request: %w", err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
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
			return Fetched[T]{}, fmt.Errorf("pagination: unexpected status %s from %s", resp.Status, u.Redacted())
		}
		f, err := decode(io.LimitReader(resp.Body, maxBody))
		if err != nil {
			return Fetched[T]{}, fmt.Errorf("pagination: decode page from %s: %w", u.Redacted(), err)
		}
		return f, nil
	}
}

// DecodeStandard reads a standard-style body (seeds/001):
// {"data":[…],"pagination":{"hasNext":…,"lastKey":…}}.
func DecodeStandard[T any](body io.Reader) (Fetched[T], error) {
	var v struct {
		Data       []T       `json:"data"`
		Pagination *Standard `json:"pagination"`
	}
	if err := json.NewDecoder(body).Decode(&v); err != nil {
		return Fetched[T]{}, err
	}
	f := Fetched[T]{Items: v.Data}
	if v.Pagination != nil {
		f.HasMore = v.Pagination.HasNext
		if v.Pagination.LastKey != nil {
			f.Next = *v.Pagination.LastKey
		}
	}
	return f, nil
}

// DecodeRecords reads a records-style body (seeds/003):
// {"records":[…],"has_more":…,"last_id":…}; the next page starts after
// last_id.
func DecodeRecords[T any](body io.Reader) (Fetched[T], error) {
	var v Records[T]
	if err := json.NewDecoder(body).Decode(&v); err != nil {
		return Fetched[T]{}, err
	}
	f := Fetched[T]{Items: v.Records, HasMore: v.HasMore}
	if v.LastID != nil {
		f.Next = *v.LastID
	}
	return f, nil
}
