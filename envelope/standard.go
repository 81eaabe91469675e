package envelope

import (
	"slices"
	"strconv"
	"time"

	"github.com/apikit-go/apikit/internal/jsonw"
	"github.com/apikit-go/apikit/problem"
)

// TimeMillis is the timestamp layout of the standard and meta dialects:
// UTC with milliseconds, "2024-01-15T10:30:00.000Z".
const TimeMillis = "2006-01-02T15:04:05.000Z"

// DefaultMessage is the standard dialect's message when a response sets
// none with [Message].
const DefaultMessage = "Success"

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
// Errors are application/json.
func Standard() Dialect { return standardDialect{} }

type standardDialect struct{}

func (standardDialect) ErrorContentType() string { return ContentType }

func (standardDialect) AppendSuccess(dst []byte, r *Reply) ([]byte, error) {
	dst = append(dst, `{"success":true,"statusCode":`...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	dst = append(dst, `,"message":`...)
	msg := r.Message
	if msg == "" {
		msg = DefaultMessage
	}
	dst = jsonw.String(dst, msg)
	dst = append(dst, `,"data":`...)
	var err error
	if dst, err = r.AppendData(dst); err != nil {
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
	dst = append(dst, `,"timestamp":"`...)
	dst = r.Time.UTC().AppendFormat(dst, TimeMillis)
	dst = append(dst, `","requestId":`...)
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
		dst = jsonw.String(dst, p.Detail)
	}
	if p.Instance != "" {
		dst = append(dst, `,"instance":`...)
		dst = jsonw.String(dst, p.Instance)
	}
	if len(p.Fields) > 0 {
		dst = append(dst, `,"validation":`...)
		dst = problem.AppendFields(dst, p.Fields)
	}
	var err error
	if dst, err = appendMembers(dst, p.Extensions, standardReserved); err != nil {
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

// appendMembers appends ext's members, each preceded by a comma, in key
// order, skipping names reserved reports.
func appendMembers(dst []byte, ext map[string]any, reserved func(string) bool) ([]byte, error) {
	if len(ext) == 0 {
		return dst, nil
	}
	keys := make([]string, 0, len(ext))
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

// appendTime appends t in UTC with layout, quoted.
func appendTime(dst []byte, t time.Time, layout string) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, layout)
	return append(dst, '"')
}
