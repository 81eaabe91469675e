package problem

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxParseBytes is the most of a response body [Parse] reads.
const maxParseBytes = 1 << 20

// Parse reads the error response resp as a problem, whatever its dialect.
// It is the one parser of error responses: [Catalog.Parse] is Parse with
// the catalog's own definitions, and envelope.Read returns Parse's problem
// for every error status. In a test, Parse(recorder.Result()) reads what
// an httptest.ResponseRecorder captured. Dialects understood:
// an RFC 9457 document, the standard envelope's "error" object
// ({"success":false,"error":{type,title,detail,instance,validation}}), the
// meta dialect's {"error":{code,message,details}} (field errors in
// details.fields) or an ack ERROR body.
// Reading is tolerant: members of the wrong type are ignored and unknown
// members kept as extensions. A body that is not a problem gives a problem
// built from the HTTP status. Status is always the response's status; a code
// missing from the body is looked up by type in the standard catalog, so
// errors.Is(Parse(resp), ResourceNotFound) works on a standard-dialect 404.
// Retry-After becomes RetryAfter and X-Request-Id the "requestId" extension
// unless the body has one.
//
// Parse returns nil for a response whose status is below 400. It reads at
// most 1 MiB of the body and leaves resp.Body readable again.
func Parse(resp *http.Response) *Problem {
	return parseResponse(resp, nil)
}

// Parse is like the package-level [Parse] but looks codes up in c.
func (c *Catalog) Parse(resp *http.Response) *Problem {
	return parseResponse(resp, c)
}

func parseResponse(resp *http.Response, c *Catalog) *Problem {
	if resp == nil || resp.StatusCode < 400 {
		return nil
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxParseBytes))
		rest := resp.Body
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), rest), rest}
	}
	p := parseBody(resp.StatusCode, body, c)
	if ra := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ra > 0 {
		p.RetryAfter = ra
	}
	if id := resp.Header.Get("X-Request-Id"); id != "" {
		if _, ok := p.Extensions["requestId"]; !ok {
			p = p.WithExtension("requestId", id)
		}
	}
	return p
}

type readCloser struct {
	io.Reader
	io.Closer
}

func parseBody(status int, body []byte, c *Catalog) *Problem {
	p := &Problem{}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		if e, ok := object(m["error"]); ok {
			p.readMembers(e)
			if p.Detail == "" {
				p.Detail = str(e["message"], "")
			}
			delete(p.Extensions, "message")
			if d, ok := p.Extensions["details"].(map[string]any); ok {
				delete(p.Extensions, "details")
				// The meta dialect puts field errors in details.fields.
				if raw, ok := object(e["details"]); ok && len(p.Fields) == 0 {
					if f := fields(raw["fields"]); len(f) > 0 {
						p.Fields = f
						delete(d, "fields")
					}
				}
				for k, v := range d {
					if !reserved(k) {
						if p.Extensions == nil {
							p.Extensions = map[string]any{}
						}
						p.Extensions[k] = v
					}
				}
			}
			for _, k := range []string{"requestId", "requestID"} {
				if id := str(m[k], ""); id != "" {
					if p.Extensions == nil {
						p.Extensions = map[string]any{}
					}
					p.Extensions["requestId"] = id
				}
			}
		} else if isProblemObject(m) {
			p.readMembers(m)
		}
	}
	p.Status = status
	if len(p.Extensions) == 0 {
		p.Extensions = nil
	}
	var def Definition
	var found bool
	if p.Code != "" {
		def, found = lookupCode(c, p.Code)
	} else if def, found = lookupType(c, p.Type); found {
		p.Code = def.code
	}
	switch {
	case found:
		p.Retryable = def.retryable
	default:
		p.Retryable = class(p.Code) == "internal" || defaultRetryable(status)
	}
	if p.Title == "" && p.Type == "" {
		p.Title = http.StatusText(status)
	}
	return p
}

func object(raw json.RawMessage) (map[string]json.RawMessage, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(raw, &m) == nil && m != nil
}

func isProblemObject(m map[string]json.RawMessage) bool {
	for _, k := range [...]string{"type", "title", "status", "detail", "code"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

func lookupCode(c *Catalog, code string) (Definition, bool) {
	if c != nil {
		return c.Lookup(code)
	}
	for _, d := range standard() {
		if d.code == code {
			return d, true
		}
	}
	return Definition{}, false
}

func lookupType(c *Catalog, t string) (Definition, bool) {
	if c != nil {
		return c.lookupType(t)
	}
	if t == "" || t == aboutBlank {
		return Definition{}, false
	}
	slug := typeSlug(t)
	for _, d := range standard() {
		if d.typ == slug {
			return d, true
		}
	}
	return Definition{}, false
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP date (relative to now). It returns 0 when v is empty or malformed.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 || n > 1<<31 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
