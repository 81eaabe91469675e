package envelope

import (
	"errors"
	"strconv"

	"github.com/apikit-go/apikit/internal/jsonw"
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// Meta returns the dialect of seeds/004, whose meta.version is version
// (for example "2025-01-01"). A success is
//
//	{"data":…,"meta":{"version":"2025-01-01","requestId":"req_123",
//	 "timestamp":"2025-01-18T22:31:05.123Z"}}
//
// and lists add "pagination" to meta (the standard dialect's pagination
// object). An error is
//
//	{"error":{"code":"minutes/invalid-state","message":"Encounter already closed",
//	 "details":{"currentState":"resolved","encounterId":"enc_789"}}}
//
// where message is the problem's detail (its title when there is none),
// details holds the problem's extension members in key order and, when
// there are field errors, "fields":[{"field","message","code"}]. An
// extension member named "details" (a struct or other value that encodes
// to a JSON object) becomes the details object itself, keeping its own
// member order; the other members follow it. A problem
// without a code gets "http/<status>". Errors are application/json. The
// request ID travels in the X-Request-Id header, as for every dialect.
// Lists page in [pagination.StandardStyle], like the standard dialect.
func Meta(version string) Dialect { return metaDialect{version: version} }

type metaDialect struct{ version string }

func (metaDialect) ErrorContentType() string { return contentType }

func (metaDialect) ListStyle() (pagination.Style, bool) { return pagination.StandardStyle, true }

func (d metaDialect) AppendSuccess(dst []byte, r *Reply) ([]byte, error) {
	dst = append(dst, `{"data":`...)
	var err error
	if dst, err = r.AppendValue(dst, r.Data); err != nil {
		return dst, err
	}
	dst = append(dst, `,"meta":{"version":`...)
	dst = jsonw.String(dst, r.apiVersion(d.version))
	dst = append(dst, `,"requestId":`...)
	dst = jsonw.String(dst, r.RequestID)
	dst = append(dst, `,"timestamp":`...)
	dst = appendMillis(dst, r.Time)
	if r.Page != nil {
		dst = append(dst, `,"pagination":`...)
		if dst, err = r.AppendValue(dst, r.Page.Standard()); err != nil {
			return dst, err
		}
	}
	return append(dst, "}}"...), nil
}

func (metaDialect) AppendError(dst []byte, r *Reply) ([]byte, error) {
	p := r.Problem
	dst = append(dst, `{"error":{"code":`...)
	dst = jsonw.String(dst, codeOf(p, r.Status))
	dst = append(dst, `,"message":`...)
	if p.Detail != "" {
		dst = jsonw.String(dst, jsonw.Cut(p.Detail, maxDetail))
	} else {
		dst = jsonw.String(dst, p.TitleOrStatus())
	}
	dst = append(dst, `,"details":`...)
	var err error
	if d, ok := p.Extensions["details"]; ok {
		// An extension named details is the details object itself, in
		// its own member order; the other members are appended to it.
		mark := len(dst)
		if dst, err = r.AppendValue(dst, d); err != nil {
			return dst, err
		}
		if len(dst)-mark < 2 || dst[mark] != '{' || dst[len(dst)-1] != '}' {
			return dst, errDetails
		}
		dst = dst[:len(dst)-1]
	} else {
		dst = append(dst, '{')
	}
	// Every member below starts with a comma; the first one needs none
	// when the object is still empty.
	start := len(dst)
	if dst, err = r.AppendMembers(dst, metaReserved); err != nil {
		return dst, err
	}
	if len(p.Fields) > 0 {
		dst = append(dst, `,"fields":`...)
		dst = r.AppendFields(dst)
	}
	if len(dst) > start && dst[start-1] == '{' {
		copy(dst[start:], dst[start+1:])
		dst = dst[:len(dst)-1]
	}
	return append(dst, "}}}"...), nil
}

func metaReserved(k string) bool { return k == "fields" || k == "details" }

var errDetails = errors.New("envelope: the details extension must encode to a JSON object")

// codeOf returns p's code, or "http/<status>" when it has none.
func codeOf(p *problem.Problem, status int) string {
	if p.Code != "" {
		return p.Code
	}
	return "http/" + strconv.Itoa(status)
}
