package envelope

import (
	"errors"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/apikit-go/apikit/internal/jsonw"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// A Dialect is a wire format: how a success and an error look on the wire.
// apikit ships [Standard], [Meta], [Ack], [Records] and [Plain]; a service
// only picks one. Everything a dialect author needs besides this interface
// is on [Reply]: its fields describe the response and its methods encode
// the pieces every dialect shares (data, field errors, extension members,
// the resolved problem type). A Dialect must be safe for concurrent use;
// the built-in ones are immutable values.
//
// The [Writer] decides the status and the headers; a Dialect only appends
// the body to dst and must not keep r or dst after it returns. An error
// from AppendSuccess makes the writer answer with the dialect's 500
// instead; an error from AppendError makes it retry without the problem's
// extension members.
type Dialect interface {
	// AppendSuccess appends the body of a success response (r.Problem is
	// nil). The body's media type is application/json.
	AppendSuccess(dst []byte, r *Reply) ([]byte, error)
	// AppendError appends the body of an error response (r.Problem is
	// set; r.Status is its status).
	AppendError(dst []byte, r *Reply) ([]byte, error)
	// ErrorContentType is the media type of error bodies.
	ErrorContentType() string
	// ListStyle is the list style whose cursors the dialect renders
	// (pagination.StandardStyle for a lastKey, RecordsStyle for
	// first_id/last_id); the writer refuses a page of the other style.
	// ok is false for a dialect that renders no cursor, where either
	// style pages (through Link headers).
	ListStyle() (style pagination.Style, ok bool)
}

// Reply is everything a [Dialect] may render about one response, and the
// toolbox of dialect authors. The writer fills it and passes it to the
// dialect; a Reply is only valid during that call.
type Reply struct {
	// Status is the HTTP status of the response.
	Status int
	// Message is the per-call message (see [WithMessage]); empty means
	// the dialect's default.
	Message string
	// Data is the resource, or the items of a list. Nil for errors.
	Data any
	// Page describes the page of a list; nil for anything but a list. Its
	// style is the dialect's ([Dialect.ListStyle]).
	Page *pagination.Page
	// Problem is the error to render; nil for a success.
	Problem *problem.Problem
	// RequestID identifies the request (X-Request-Id).
	RequestID string
	// Echo is the request ID the caller sent in the request body
	// (metadata.requestID), recorded by [Decode]; empty if unknown or
	// longer than 128 bytes (it is never echoed whole).
	Echo string
	// Time is the writer's clock reading for this response.
	Time time.Time
	// Request is the request being answered.
	Request *http.Request

	records any    // pagination.Records[T] of a list
	st      *state // encoder and buffer of the writer
}

// ProblemType returns the type URI to render for Problem, resolved by the
// writer's catalog ([problem.Catalog.ResolveType]): an absolute type as it
// is, a relative one against the catalog's base URI, "about:blank" when
// there is no type or no base.
func (r *Reply) ProblemType() string {
	if r.Problem == nil {
		return "about:blank"
	}
	if r.st != nil && r.st.wr != nil {
		return r.st.wr.types.resolve(r.st.wr.catalog, r.Problem.Type)
	}
	return (*problem.Catalog)(nil).ResolveType(r.Problem.Type)
}

// AppendValue appends v encoded as encoding/json does, without HTML
// escaping, and with a nil slice encoded as []. AppendValue(dst, r.Data)
// appends the data.
func (r *Reply) AppendValue(dst []byte, v any) ([]byte, error) {
	if r.st == nil {
		start := len(dst)
		out, err := jsonw.Marshal(dst, v)
		if err != nil {
			return dst, err
		}
		return nullToEmpty(out, start, v), nil
	}
	return r.st.encode(dst, v)
}

// AppendRecords appends a list in the records style of seeds/003
// ({"records":[…],"has_more":…,"first_id":…,"last_id":…}, built with
// [pagination.RecordsOf]). It reports false when the reply is not a list.
func (r *Reply) AppendRecords(dst []byte) ([]byte, bool, error) {
	if r.records == nil {
		return dst, false, nil
	}
	dst, err := r.AppendValue(dst, r.records)
	return dst, true, err
}

// Bounds on client-supplied text echoed in error bodies (the same as
// problem.Problem.AppendJSON's).
const (
	maxDetail   = 1024
	maxInstance = 512
	maxField    = 256
)

// AppendFields appends the problem's field errors as a JSON array of
// {"field","message","code"} objects, field names and messages cut to a
// bounded length.
func (r *Reply) AppendFields(dst []byte) []byte {
	dst = append(dst, '[')
	for i, f := range r.Problem.Fields {
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

// AppendMembers appends the problem's extension members in key order,
// each preceded by a comma, skipping the names reserved reports (the
// dialect's own members). A member that cannot be encoded is an error.
func (r *Reply) AppendMembers(dst []byte, reserved func(name string) bool) ([]byte, error) {
	ext := r.Problem.Extensions
	if len(ext) == 0 {
		return dst, nil
	}
	var arr [8]string
	keys := arr[:0]
	for k := range ext {
		if !reserved(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = append(dst, ',')
		dst = jsonw.Key(dst, k)
		var err error
		if dst, err = jsonw.Value(dst, ext[k]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// errNotAck reports ack data of the wrong type.
var errNotAck = errors.New("envelope: the ack dialect needs an envelope.Acknowledgement as data")

// encode appends v to dst using the state's encoder.
func (s *state) encode(dst []byte, v any) ([]byte, error) {
	saved := s.buf
	s.buf = dst
	start := len(dst)
	err := s.enc.Encode(v)
	out := s.buf
	s.buf = saved
	if err != nil {
		return dst, err
	}
	out = out[:len(out)-1] // the encoder's newline
	return nullToEmpty(out, start, v), nil
}

// nullToEmpty turns a null encoded at out[start:] into [] when v is a
// slice.
func nullToEmpty(out []byte, start int, v any) []byte {
	if len(out)-start == 4 && string(out[start:]) == "null" && isSlice(v) {
		return append(out[:start], '[', ']')
	}
	return out
}

func isSlice(v any) bool {
	return v != nil && reflect.TypeOf(v).Kind() == reflect.Slice
}
