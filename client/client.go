package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// Client calls one partner API: requests go through a [Transport], JSON
// bodies are encoded and decoded in any apikit dialect, and every error
// answer becomes a *problem.Problem. A Client is safe for concurrent use.
type Client struct {
	t    *Transport
	base *url.URL
	hc   *http.Client
}

// New returns a Client configured by opts; a bad option value is an
// error.
func New(opts ...Option) (*Client, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	t, err := newTransport(cfg.base, cfg)
	if err != nil {
		return nil, err
	}
	return &Client{t: t, base: cfg.baseURL, hc: &http.Client{Transport: t}}, nil
}

// HTTPClient returns an http.Client that sends its requests through the
// Client's transport: hand it to [pagination.HTTPFetch] or another SDK. It
// follows redirects as http.Client does; paths are not resolved against
// the base URL.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// Do sends req through the Client's transport, with retries and pacing, and
// returns the last answer as it is, whatever its status. A relative URL is
// resolved against the base URL.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if !req.URL.IsAbs() && c.base != nil {
		req = req.Clone(req.Context())
		req.URL = c.base.ResolveReference(req.URL)
	}
	resp, _, err := c.t.do(req)
	return resp, err
}

// Response is a decoded success answer.
type Response[T any] struct {
	// Data is the body's data: the envelope's data member, the records of
	// a records list, or the whole body of a plain or ack answer.
	Data T
	// Status is the HTTP status.
	Status int
	// RequestID is the request id from the body, else the X-Request-Id
	// header.
	RequestID string
	// Attempts is how many times the request was sent.
	Attempts int
	// Replayed reports that the server answered with the stored response
	// of an earlier request with the same idempotency key
	// (Idempotent-Replayed: true).
	Replayed bool
	// HasMore and Next describe a list page: whether more items follow,
	// and the cursor (lastKey) or last id (records style) that fetches them.
	HasMore bool
	Next    string
}

// Call sends a request with method to path (resolved against the base URL),
// with in encoded as JSON when it is not nil, and decodes the answer of any
// dialect into a Response[T]. An error status — or an ack of type ERROR —
// returns a *problem.Problem (so errors.Is(err, someDefinition) works) with
// the extensions "requestId" (body or header), "attempts" and "replayed".
// A transport failure returns an error that says how many attempts were
// made.
func Call[T any](ctx context.Context, c *Client, method, path string, in any) (Response[T], error) {
	var out Response[T]
	u, err := c.resolve(path)
	if err != nil {
		return out, err
	}
	var body io.Reader
	var raw []byte
	if in != nil {
		if raw, err = json.Marshal(in); err != nil {
			return out, fmt.Errorf("client: encoding the %s %s body: %w", method, u.Path, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return out, fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, oc, err := c.t.do(req)
	out.Attempts = oc.attempts
	if err != nil {
		return out, fmt.Errorf("client: %s %s (attempts: %d): %w", method, u.Redacted(), oc.attempts, err)
	}
	out.Status = resp.StatusCode
	out.Replayed = resp.Header.Get(headerReplayed) == "true"
	v, d, err := decode[T](resp)
	out.Data, out.RequestID, out.HasMore, out.Next = v, d.requestID, d.hasMore, d.next
	if err != nil {
		var p *problem.Problem
		if errors.As(err, &p) {
			p = p.WithExtension("attempts", oc.attempts).WithExtension("replayed", out.Replayed)
			if d.requestID != "" && p.Extensions["requestId"] == nil {
				p = p.WithExtension("requestId", d.requestID)
			}
			if oc.notReplayable {
				return out, notReplayableError{p}
			}
			return out, p
		}
		return out, fmt.Errorf("client: %s %s: %w", method, u.Redacted(), err)
	}
	return out, nil
}

// All returns an iterator over every item of the list at path, walking its
// pages with [pagination.All]: the cursor of each page (standard lastKey,
// records last_id) goes into the query parameter param ("lastKey",
// "starting_after") of the next request. Other query parameters of path are
// kept. Errors are yielded as [Call] returns them.
func All[T any](ctx context.Context, c *Client, path, param string) iter.Seq2[T, error] {
	return pagination.All(ctx, func(ctx context.Context, next string) (pagination.Fetched[T], error) {
		p := path
		if next != "" {
			u, err := url.Parse(path)
			if err != nil {
				return pagination.Fetched[T]{}, fmt.Errorf("client: list path: %w", err)
			}
			q := u.Query()
			q.Set(param, next)
			u.RawQuery = q.Encode()
			p = u.String()
		}
		r, err := Call[[]T](ctx, c, http.MethodGet, p, nil)
		if err != nil {
			return pagination.Fetched[T]{}, err
		}
		return pagination.Fetched[T]{Items: r.Data, HasMore: r.HasMore, Next: r.Next}, nil
	})
}

func (c *Client) resolve(path string) (*url.URL, error) {
	u, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if !u.IsAbs() {
		if c.base == nil {
			return nil, fmt.Errorf("client: %q is relative and no base URL is set (WithBaseURL)", path)
		}
		u = c.base.ResolveReference(u)
	}
	return u, nil
}

// notReplayableError is the problem of a request that was not retried
// because its body could not be sent again: errors.As finds the problem and
// errors.Is finds [ErrBodyNotReplayable].
type notReplayableError struct{ p *problem.Problem }

func (e notReplayableError) Error() string {
	return e.p.Error() + " (" + ErrBodyNotReplayable.Error() + ")"
}

func (e notReplayableError) Unwrap() []error { return []error{e.p, ErrBodyNotReplayable} }
