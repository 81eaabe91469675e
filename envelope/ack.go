package envelope

import (
	"github.com/apikit-go/apikit/internal/jsonw"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// AckType is the responseType of an ack body.
type AckType string

// The response types of seeds/002.
const (
	// AckReceived: received, not yet processed; a callback follows.
	AckReceived AckType = "RECEIVED"
	// AckConfirmed: completed and fully processed.
	AckConfirmed AckType = "CONFIRMED"
	// AckError: received, but processing failed; the body carries an error.
	AckError AckType = "ERROR"
)

// Acknowledgement is the data of a success in the [Ack] dialect.
type Acknowledgement struct {
	// RequestID is the caller's metadata.requestID to echo. Empty means
	// the one [Decode] recorded for the request (null if none).
	RequestID string
	// ReferenceID is the partner's identifier of the resource (null when
	// empty).
	ReferenceID string
	// ResponseID identifies this response; empty means the request ID.
	ResponseID string
	// Type is the response type; empty means RECEIVED for a 202 and
	// CONFIRMED otherwise. A non-nil Error forces ERROR.
	Type AckType
	// Error, when set, makes the response an ERROR ack that carries it: the
	// way to report a processing error with HTTP 200, as seeds/002 allows.
	Error *problem.Problem
}

// AckRequest is the metadata every request of the ack dialect carries.
// Embed it in a request type and [Decode] records metadata.requestID for
// the writer to echo, in successes and errors alike:
//
//	type Prescription struct {
//		envelope.AckRequest
//		Drug string `json:"drug"`
//	}
type AckRequest struct {
	Metadata AckMetadata `json:"metadata"`
}

// AckMetadata is the request metadata of seeds/002. The seed's table calls
// the timestamp requestTimestamp and its example responseTimestamp; both
// are accepted.
type AckMetadata struct {
	RequestID         string `json:"requestID"`
	RequestTimestamp  string `json:"requestTimestamp,omitempty"`
	ResponseTimestamp string `json:"responseTimestamp,omitempty"`
}

// ackRequestID returns metadata.requestID; Decode finds it through the
// embedding.
func (a AckRequest) ackRequestID() string { return a.Metadata.RequestID }

// Ack returns the dialect of seeds/002. A success is
//
//	{"requestID":"phil_request_id","metadata":{"referenceID":"partner_reference_id",
//	 "responseType":"RECEIVED","responseID":"partner_response_id",
//	 "responseTimestamp":"2024-09-11T12:26:00Z"}}
//
// whose data must be an [Acknowledgement]. An error has the same shape with
// responseType ERROR and, as the error type the seed requires, an "error"
// member:
//
//	"error":{"code":"validation/failed","title":"Validation failed",
//	 "message":"…","errors":[{"field","message","code"}]}
//
// code is the problem's class/reason code ("http/<status>" without one),
// message its detail, errors its field errors (left out when there are
// none); extension members follow in key order. WriteError keeps the
// problem's HTTP status; a handler that must report a processing error with
// HTTP 200 writes an [Acknowledgement] whose Error is set; a 202 (written
// with [Writer.Write]) is RECEIVED. Timestamps have no fractional seconds.
// Errors are application/json. The dialect has no lists.
func Ack() Dialect { return ackDialect{} }

type ackDialect struct{}

func (ackDialect) ErrorContentType() string { return contentType }

func (ackDialect) ListStyle() (pagination.Style, bool) { return pagination.StandardStyle, false }

func (ackDialect) AppendSuccess(dst []byte, r *Reply) ([]byte, error) {
	var a Acknowledgement
	switch v := r.Data.(type) {
	case Acknowledgement:
		a = v
	case *Acknowledgement:
		if v == nil {
			return dst, errNotAck
		}
		a = *v
	default:
		return dst, errNotAck
	}
	if a.Type == "" {
		a.Type = AckConfirmed
		if r.Status == 202 {
			a.Type = AckReceived
		}
	}
	if a.Error != nil {
		a.Type = AckError
	}
	if a.RequestID == "" {
		a.RequestID = r.Echo
	}
	if a.ResponseID == "" {
		a.ResponseID = r.RequestID
	}
	dst = appendAckHead(dst, r, a)
	if a.Error != nil {
		var err error
		if dst, err = appendAckError(dst, r, a.Error); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func (ackDialect) AppendError(dst []byte, r *Reply) ([]byte, error) {
	dst = appendAckHead(dst, r, Acknowledgement{RequestID: r.Echo, ResponseID: r.RequestID, Type: AckError})
	dst, err := appendAckError(dst, r, r.Problem)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendAckHead appends {"requestID":…,"metadata":{…}.
func appendAckHead(dst []byte, r *Reply, a Acknowledgement) []byte {
	dst = append(dst, `{"requestID":`...)
	dst = stringOrNull(dst, a.RequestID)
	dst = append(dst, `,"metadata":{"referenceID":`...)
	dst = stringOrNull(dst, a.ReferenceID)
	dst = append(dst, `,"responseType":`...)
	dst = jsonw.String(dst, string(a.Type))
	dst = append(dst, `,"responseID":`...)
	dst = stringOrNull(dst, a.ResponseID)
	dst = append(dst, `,"responseTimestamp":`...)
	dst = appendSeconds(dst, r.Time)
	return append(dst, '}')
}

// appendAckError appends ,"error":{…} for p (r.Problem, or the error of an
// acknowledgement).
func appendAckError(dst []byte, r *Reply, p *problem.Problem) ([]byte, error) {
	saved := r.Problem
	r.Problem = p
	defer func() { r.Problem = saved }()
	dst = append(dst, `,"error":{"code":`...)
	dst = jsonw.String(dst, codeOf(p, r.Status))
	dst = append(dst, `,"title":`...)
	dst = jsonw.String(dst, p.TitleOrStatus())
	if p.Detail != "" {
		dst = append(dst, `,"message":`...)
		dst = jsonw.String(dst, jsonw.Cut(p.Detail, maxDetail))
	}
	if len(p.Fields) > 0 {
		dst = append(dst, `,"errors":`...)
		dst = r.AppendFields(dst)
	}
	dst, err := r.AppendMembers(dst, ackReserved)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

func ackReserved(k string) bool {
	switch k {
	case "code", "title", "message", "errors", "type", "status", "detail", "instance":
		return true
	}
	return false
}

func stringOrNull(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return jsonw.String(dst, s)
}
