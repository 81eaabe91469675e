package problem

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/apikit-go/apikit/internal/jsonw"
)

// ContentType is the media type of an RFC 9457 problem document.
const ContentType = "application/problem+json"

// Bounds on the client-supplied text a problem may echo: every writer cuts
// Detail, Instance and field names and messages to these many bytes (on a
// UTF-8 boundary, marked with "…"), so an oversized id in a path or a
// body is never sent back whole.
const (
	maxDetail   = 1024
	maxInstance = 512
	maxField    = 256
)

// AppendJSON appends p as an RFC 9457 document (what [Writer] sends and
// what MarshalJSON returns): type, title, status, detail, instance, then
// "code", "errors" (the field errors) and the extension members in key
// order, flat at the top level. Type is rendered as it is when absolute and
// as "about:blank" otherwise: resolve it first with [Catalog.ResolveType].
// Empty members are left out except type, title and status. Extensions
// whose names collide with those members are skipped; one that cannot be
// encoded is an error. Strings are not HTML-escaped.
func (p *Problem) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"type":`...)
	dst = jsonw.String(dst, resolveType("", p.Type))
	dst = append(dst, `,"title":`...)
	dst = jsonw.String(dst, p.TitleOrStatus())
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendInt(dst, int64(p.StatusCode()), 10)
	if p.Detail != "" {
		dst = append(dst, `,"detail":`...)
		dst = jsonw.String(dst, jsonw.Cut(p.Detail, maxDetail))
	}
	if p.Instance != "" {
		dst = append(dst, `,"instance":`...)
		dst = jsonw.String(dst, jsonw.Cut(p.Instance, maxInstance))
	}
	if p.Code != "" {
		dst = append(dst, `,"code":`...)
		dst = jsonw.String(dst, p.Code)
	}
	if len(p.Fields) > 0 {
		dst = append(dst, `,"errors":`...)
		dst = appendFields(dst, p.Fields)
	}
	return appendExtensions(dst, p.Extensions, true)
}

// appendFields appends field errors as a JSON array of
// {"field","message","code"} objects.
func appendFields(dst []byte, fields []FieldError) []byte {
	dst = append(dst, '[')
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"field":`...)
		dst = jsonw.String(dst, jsonw.Cut(f.Field, maxField))
		dst = append(dst, `,"message":`...)
		dst = jsonw.String(dst, jsonw.Cut(f.Message, maxDetail))
		if f.Code != "" {
			dst = append(dst, `,"code":`...)
			dst = jsonw.String(dst, f.Code)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendExtensions writes ext's members in key order. With inObject the
// members continue an object already opened (each is preceded by a comma
// and reserved names are skipped); the closing brace is always written.
func appendExtensions(dst []byte, ext map[string]any, inObject bool) ([]byte, error) {
	if len(ext) > 0 {
		keys := make([]string, 0, len(ext))
		for k := range ext {
			if inObject && reserved(k) {
				continue
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if inObject || i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonw.Key(dst, k)
			var err error
			if dst, err = jsonw.Value(dst, ext[k]); err != nil {
				return dst, err
			}
		}
	}
	return append(dst, '}'), nil
}

// MarshalJSON renders p as [Problem.AppendJSON] does (relative types
// become "about:blank"; the code is kept).
func (p *Problem) MarshalJSON() ([]byte, error) {
	return p.AppendJSON(make([]byte, 0, 256))
}

// UnmarshalJSON reads an RFC 9457 document tolerantly, as §3.1 requires:
// members of the wrong type are ignored and unknown members are kept as
// extensions. Only a body that is not a JSON object is an error.
func (p *Problem) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*p = Problem{}
	p.readMembers(m)
	return nil
}

// readMembers fills p from the members of a problem-like object.
func (p *Problem) readMembers(m map[string]json.RawMessage) {
	for k, raw := range m {
		switch k {
		case "type":
			p.Type = str(raw, p.Type)
		case "title":
			p.Title = str(raw, p.Title)
		case "status":
			var n int
			if json.Unmarshal(raw, &n) == nil {
				p.Status = n
			}
		case "detail":
			p.Detail = str(raw, p.Detail)
		case "instance":
			p.Instance = str(raw, p.Instance)
		case "code":
			p.Code = str(raw, p.Code)
		case "errors", "validation":
			if f := fields(raw); f != nil {
				p.Fields = f
			}
		default:
			var v any
			if json.Unmarshal(raw, &v) == nil {
				if p.Extensions == nil {
					p.Extensions = make(map[string]any)
				}
				p.Extensions[k] = v
			}
		}
	}
}

// str decodes raw as a string, or returns def when it is not one.
func str(raw json.RawMessage, def string) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return def
	}
	return s
}

// fields decodes a field-error array, skipping malformed entries. It also
// accepts RFC 9457's {"detail","pointer"} form.
func fields(raw json.RawMessage) []FieldError {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]FieldError, 0, len(items))
	for _, item := range items {
		it, ok := object(item)
		if !ok {
			continue
		}
		f := FieldError{
			Field:   str(it["field"], ""),
			Message: str(it["message"], ""),
			Code:    str(it["code"], ""),
		}
		if f.Field == "" {
			f.Field = str(it["pointer"], "")
		}
		if f.Message == "" {
			f.Message = str(it["detail"], "")
		}
		if f.Field != "" || f.Message != "" {
			out = append(out, f)
		}
	}
	return out
}
