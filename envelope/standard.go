package envelope

import (
	"strconv"
	"time"

	"github.com/apikit-go/apikit/internal/jsonw"
	"github.com/apikit-go/apikit/pagination"
)

// defaultMessage is the standard dialect's message when a response sets
// none with [WithMessage].
const defaultMessage = "Success"

// Standard returns the dialect of seeds/001. A success is
//
//	{"success":true,"statusCode":200,"message":"Success","data":…,
//	 "timestamp":"2024-01-15T10:30:00.000Z","requestId":"req_…",
//	 "pagination":{"count":…,"hasNext":…,"limit":…,"offset":…,"lastKey":…}}
//
// with "pagination" (from [pagination.Page.Standard]) only on lists, and an
// error is
//
//	{"success":false,"statusCode":422,"error":{"type":…,"title":…,
//	 "detail":…,"instance":…,"validation":[{"field","message","code"}]},
//	 "timestamp":…,"requestId":…}
//
// The error object carries no status and no code, as in the seed; its
// "type" identifies the problem (clients map it back to a code with
// [problem.Parse]). Extension members follow "validation" in key order.
// Errors are application/json. Lists page in [pagination.StandardStyle]
// (lastKey is a signed cursor).
func Standard() Dialect { return standardDialect{} }

type standardDialect struct{}

func (standardDialect) ErrorContentType() string { return contentType }

func (standardDialect) ListStyle() (pagination.Style, bool) { return pagination.StandardStyle, true }

func (standardDialect) AppendSuccess(dst []byte, r *Reply) ([]byte, error) {
	dst = append(dst, `{"success":true,"statusCode":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, `,"message":`...)
	msg := r.Message
	if msg == "" {
		msg = defaultMessage
	}
	dst = jsonw.String(dst, msg)
	dst = append(dst, `,"data":`...)
	var err error
	if dst, err = r.AppendValue(dst, r.Data); err != nil {
		return dst, err
	}
	dst = appendTrailer(dst, r)
	if r.Page != nil {
		dst = append(dst, `,"pagination":`...)
		if dst, err = r.AppendValue(dst, r.Page.Standard()); err != nil {
			return dst, err
		}
	}
	dst = r.appendResponseMeta(dst)
	return append(dst, '}'), nil
}

// appendTrailer appends ,"timestamp":…,"requestId":….
func appendTrailer(dst []byte, r *Reply) []byte {
	dst = append(dst, `,"timestamp":`...)
	dst = appendMillis(dst, r.Time)
	dst = append(dst, `,"requestId":`...)
	return jsonw.String(dst, r.RequestID)
}

func (standardDialect) AppendError(dst []byte, r *Reply) ([]byte, error) {
	p := r.Problem
	dst = append(dst, `{"success":false,"statusCode":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, `,"error":{"type":`...)
	dst = jsonw.String(dst, r.ProblemType())
	dst = append(dst, `,"title":`...)
	dst = jsonw.String(dst, p.TitleOrStatus())
	if p.Detail != "" {
		dst = append(dst, `,"detail":`...)
		dst = jsonw.String(dst, jsonw.Cut(p.Detail, maxDetail))
	}
	if p.Instance != "" {
		dst = append(dst, `,"instance":`...)
		dst = jsonw.String(dst, jsonw.Cut(p.Instance, maxInstance))
	}
	if len(p.Fields) > 0 {
		dst = append(dst, `,"validation":`...)
		dst = r.AppendFields(dst)
	}
	var err error
	if dst, err = r.AppendMembers(dst, standardReserved); err != nil {
		return dst, err
	}
	dst = append(dst, '}')
	dst = appendTrailer(dst, r)
	dst = r.appendResponseMeta(dst)
	return append(dst, '}'), nil
}

func standardReserved(k string) bool {
	switch k {
	case "type", "title", "detail", "instance", "validation", "status", "code", "errors":
		return true
	}
	return false
}

// appendMillis appends t in UTC as a quoted "2006-01-02T15:04:05.000Z"
// without the general layout interpreter of time.AppendFormat.
func appendMillis(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	if year < 0 || year > 9999 {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
		return append(dst, '"')
	}
	ms := t.Nanosecond() / 1e6
	return append(dst, '"',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+min/10), byte('0'+min%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z', '"')
}

// appendSeconds appends t in UTC as a quoted "2006-01-02T15:04:05Z".
func appendSeconds(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, "2006-01-02T15:04:05Z")
	return append(dst, '"')
}
