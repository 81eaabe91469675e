package envelope

import (
	"github.com/apikit-go/apikit/pagination"
	"github.com/apikit-go/apikit/problem"
)

// Plain returns the dialect without an envelope: a success is the resource
// itself (a list is a bare JSON array) and an error is an RFC 9457
// application/problem+json document ([problem.Problem.AppendJSON]). A list
// carries no cursor in its body, so pages of either list style are
// accepted; clients follow the Link header.
func Plain() Dialect { return plainDialect{} }

// Records returns the dialect of seeds/003: like [Plain], but a list is
// {"records":[…],"has_more":…,"first_id":…,"last_id":…}
// ([pagination.RecordsOf]). Single resources are bare; errors are RFC 9457.
// Lists page in [pagination.RecordsStyle] (starting_after=last_id).
func Records() Dialect { return plainDialect{records: true} }

type plainDialect struct{ records bool }

func (plainDialect) ErrorContentType() string { return problem.ContentType }

func (d plainDialect) ListStyle() (pagination.Style, bool) {
	return pagination.RecordsStyle, d.records
}

func (d plainDialect) AppendSuccess(dst []byte, r *Reply) ([]byte, error) {
	if d.records {
		if out, ok, err := r.AppendRecords(dst); ok {
			return out, err
		}
	}
	return r.AppendValue(dst, r.Data)
}

func (plainDialect) AppendError(dst []byte, r *Reply) ([]byte, error) {
	// Resolve the type through the writer's cache rather than letting
	// AppendJSON see a relative one.
	p := *r.Problem
	p.Type = r.ProblemType()
	return p.AppendJSON(dst)
}
