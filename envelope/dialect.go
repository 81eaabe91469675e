package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"time"

	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// ContentType is the media type of every success body apikit writes.
const ContentType = "application/json"

// A Dialect is a wire format: how a success and an error look on the wire.
// apikit ships [Standard], [Meta], [Ack], [Records] and [Plain]; implement
// Dialect to add your own. A Dialect must be safe for concurrent use; the
// built-in ones are immutable values.
//
// The [Writer] decides the status and the headers; a Dialect only appends
// the body to dst and must not keep r or dst after it returns. An error
// from AppendSuccess makes the writer answer with the dialect's 500
// instead; an error from AppendError makes it retry without the problem's
// extension members.
type Dialect interface {
	// AppendSuccess appends the body of a success response (r.Problem is
	// nil). The body's media type is [ContentType].
	AppendSuccess(dst []byte, r *Reply) ([]byte, error)
	// AppendError appends the body of an error response (r.Problem is
	// set; r.Status is its status).
	AppendError(dst []byte, r *Reply) ([]byte, error)
	// ErrorContentType is the media type of error bodies.
	ErrorContentType() string
}

// Reply is everything a [Dialect] may render about one response. The
// writer fills it and passes it to the dialect; a Reply is only valid
// during that call.
type Reply struct {
	// Status is the HTTP status of the response.
	Status int
	// Message is the per-call message (see [Message]); empty means the
	// dialect's default.
	Message string
	// Data is the resource, or the items of a list. Nil for errors.
	Data any
	// Page describes the page of a list; nil for anything but a list.
	Page *pagination.Page
	// Problem is the error to render; nil for a success.
	Problem *problem.Problem
	// BaseURI is what relative problem types resolve against (the
	// catalog's base URI).
	BaseURI string
	// RequestID identifies the request (X-Request-Id).
	RequestID string
	// Echo is the request ID the caller sent in the request body
	// (metadata.requestID), recorded by [Decode]; empty if unknown.
	Echo string
	// Time is the writer's clock reading for this response.
	Time time.Time
	// Request is the request being answered.
	Request *http.Request

	records any    // pagination.Records[T] of a list
	st      *state // encoder and buffer of the writer
}

// ProblemType returns the type URI to render for Problem: an absolute
// type as it is, a relative one resolved against BaseURI, "about:blank"
// when there is no type or no base ([problem.ResolveType]).
func (r *Reply) ProblemType() string {
	if r.Problem == nil {
		return problem.AboutBlank
	}
	if r.st != nil {
		return r.st.wr.types.resolve(r.BaseURI, r.Problem.Type)
	}
	return problem.ResolveType(r.BaseURI, r.Problem.Type)
}

// AppendData appends Data encoded as JSON. A nil slice is encoded as [],
// never null.
func (r *Reply) AppendData(dst []byte) ([]byte, error) {
	return r.AppendValue(dst, r.Data)
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

// AppendValue appends v encoded as encoding/json does (HTML-safe), with
// a nil slice encoded as [].
func (r *Reply) AppendValue(dst []byte, v any) ([]byte, error) {
	if r.st == nil {
		b, err := json.Marshal(v)
		if err != nil {
			return dst, err
		}
		return append(dst, nullToEmpty(b, v)...), nil
	}
	return r.st.encode(dst, v)
}

// errNotAck reports ack data of the wrong type.
var errNotAck = errors.New("envelope: the ack dialect needs an envelope.Acknowledgement as data")

// state is a writer's reusable scratch space: the body buffer, a JSON
// encoder writing into it and the Reply handed to the dialect.
type state struct {
	buf   []byte
	enc   *json.Encoder
	reply Reply
	wr    *Writer
}

func newState(wr *Writer) *state {
	s := &state{buf: make([]byte, 0, 1024), wr: wr}
	s.enc = json.NewEncoder((*stateWriter)(s))
	return s
}

// stateWriter is the io.Writer the encoder appends to.
type stateWriter state

func (w *stateWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

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
	out = bytes.TrimSuffix(out, []byte{'\n'})
	if len(out)-start == 4 && string(out[start:]) == "null" && isSlice(v) {
		out = append(out[:start], '[', ']')
	}
	return out, nil
}

func nullToEmpty(b []byte, v any) []byte {
	if string(b) == "null" && isSlice(v) {
		return []byte("[]")
	}
	return b
}

func isSlice(v any) bool {
	return v != nil && reflect.TypeOf(v).Kind() == reflect.Slice
}
