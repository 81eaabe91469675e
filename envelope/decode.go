package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/apikit-go/apikit/internal/bodybuf"
	"github.com/apikit-go/apikit/internal/jsonw"
	"github.com/apikit-go/apikit/problem"
)

// defaultMaxBodyBytes is the request body limit of [Decode] unless
// [WithMaxBodyBytes] sets another.
const defaultMaxBodyBytes = 1 << 20

// WithMaxBodyBytes sets the largest request body [Decode] accepts; a
// bigger one is a 413. n ≤ 0 means the default. Writers ignore it.
// Default: 1 MiB.
func WithMaxBodyBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxBody = n
		}
	}
}

// Decode reads r's JSON body strictly into a new T. Every failure is a
// *problem.Problem ready for [Writer.WriteError], and none of them repeats
// a value the client sent:
//
//   - a Content-Type other than application/json or a +json type: 415
//     (a missing Content-Type is accepted);
//   - a body over the limit: 413;
//   - an empty body: 400;
//   - malformed or truncated JSON: 400 naming the (zero-based) byte offset
//     of the offending byte;
//   - data after the JSON value: 400 naming its byte offset;
//   - a member that appears twice in one object (encoding/json would keep
//     the last) or a string that is not valid UTF-8 (encoding/json would
//     replace it with U+FFFD): 400 with a validation entry naming the
//     member's path (codes DUPLICATE_FIELD and INVALID_FORMAT);
//   - a member of the wrong type, an out-of-range number or a member T
//     does not have: 422 with a validation entry naming the field path
//     (codes INVALID_TYPE and UNKNOWN_FIELD);
//   - a value T's own UnmarshalJSON rejects: 422 INVALID_FORMAT.
//
// When T embeds [AckRequest], metadata.requestID is recorded for the
// writer to echo (through [Writer.Handler]'s context), also when the
// body decodes into JSON that T rejects; an ID over 128 bytes is not
// echoed. Only [WithMaxBodyBytes] applies; other options are ignored.
func Decode[T any](r *http.Request, opts ...Option) (T, error) {
	var v T
	maxBody := int64(defaultMaxBodyBytes)
	if len(opts) > 0 { // options escape: only a call with options pays for them
		cfg := options{maxBody: maxBody}
		for _, o := range opts {
			o(&cfg)
		}
		maxBody = cfg.maxBody
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return v, err
	}
	if r.Body == nil || r.Body == http.NoBody {
		return v, problem.InvalidRequest.New("The request body is empty; a JSON value is required")
	}
	var body []byte
	if t, ok := r.Body.(bodybuf.Taker); ok {
		// Read whole by a middleware (idempotency): no second read or copy.
		body = t.TakeUnread()
	} else {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return v, problem.InvalidRequest.Wrap(err, "The request body could not be read")
		}
	}
	if int64(len(body)) > maxBody {
		return v, problem.RequestTooLarge.New("The request body exceeds the limit of " + strconv.FormatInt(maxBody, 10) + " bytes")
	}
	err := decodeBytes(body, &v)
	if info := infoFrom(r.Context()); info != nil {
		if a, ok := any(&v).(interface{ ackRequestID() string }); ok && err == nil {
			info.echo = a.ackRequestID()
		} else if ok {
			info.echo = echoOf(body)
		}
		if len(info.echo) > maxRequestIDLen {
			info.echo = "" // never echoed whole, and a cut ID would be another ID
		}
	}
	return v, err
}

func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimLeft(body, " \t\r\n")) == 0 {
		return problem.InvalidRequest.New("The request body is empty; a JSON value is required")
	}
	if p := strictCheck(body); p != nil {
		return p
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err, body)
	}
	off := dec.InputOffset()
	if rest := bytes.TrimLeft(body[off:], " \t\r\n"); len(rest) > 0 {
		at := int64(len(body) - len(rest))
		return problem.InvalidRequest.New("The request body has data after the JSON value at byte offset " + strconv.FormatInt(at, 10))
	}
	return nil
}

// decodeProblem turns an encoding/json error into a problem that names
// where, never what.
func decodeProblem(err error, body []byte) *problem.Problem {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		at := max(syn.Offset-1, 0) // Offset counts the offending byte
		return problem.InvalidRequest.Wrap(err, "The request body is not valid JSON: syntax error at byte offset "+strconv.FormatInt(at, 10))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.InvalidRequest.Wrap(err, "The request body is not valid JSON: it ends unexpectedly at byte offset "+strconv.Itoa(len(body)))
	case errors.Is(err, io.EOF):
		return problem.InvalidRequest.Wrap(err, "The request body is empty; a JSON value is required")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "$"
		}
		return problem.ValidationFailed.Wrap(err, "There were some problems with your input.").
			WithFields(problem.FieldError{Field: field, Message: typeMessage(typ), Code: problem.FieldInvalidType})
	}
	if name, ok := unknownField(err); ok {
		return problem.ValidationFailed.Wrap(err, "There were some problems with your input.").
			WithFields(problem.FieldError{Field: name, Message: "is not a known field", Code: problem.FieldUnknownField})
	}
	return problem.InvalidFormat.Wrap(err, "A value in the request body has an invalid format")
}

// unknownField extracts the member name of encoding/json's "unknown
// field" error, cut to maxRequestIDLen bytes.
func unknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return "", false
	}
	name, uerr := strconv.Unquote(msg[len(prefix):])
	if uerr != nil {
		return "", false
	}
	name = jsonw.Cut(name, maxRequestIDLen)
	return name, true
}

// typeMessage says what JSON type a field must have.
func typeMessage(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "has the wrong type"
	}
	k := e.Type.Kind()
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if strings.HasPrefix(e.Value, "number") {
			return "must be an integer within the range of " + k.String()
		}
		return "must be a number"
	case reflect.Float32, reflect.Float64:
		if strings.HasPrefix(e.Value, "number") {
			return "must be a number within the range of " + k.String()
		}
		return "must be a number"
	case reflect.String:
		return "must be a string"
	case reflect.Bool:
		return "must be a boolean"
	case reflect.Slice, reflect.Array:
		return "must be an array"
	case reflect.Struct, reflect.Map:
		return "must be an object"
	}
	return "has the wrong type"
}

// echoOf reads metadata.requestID leniently from body.
func echoOf(body []byte) string {
	var m struct {
		Metadata struct {
			RequestID string `json:"requestID"`
		} `json:"metadata"`
	}
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	return m.Metadata.RequestID
}

// checkContentType accepts a missing Content-Type, application/json and
// any +json type.
func checkContentType(ct string) error {
	if ct == "" || ct == "application/json" { // the usual case, without mime's parameter map
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return problem.UnsupportedMediaType.New("The request body must be application/json")
}
