package envelope

import "github.com/apikit-go/apikit/problem"

// Plain returns the dialect without an envelope: a success is the resource
// itself (a list is a bare JSON array) and an error is an RFC 9457
// application/problem+json document ([problem.Problem.AppendJSON]).
func Plain() Dialect { return plainDialect{} }

// Records returns the dialect of seeds/003: like [Plain], but a list is
// {"records":[…],"has_more":…,"first_id":…,"last_id":…}
// ([pagination.RecordsOf]). Single resources are bare; errors are RFC 9457.
func Records() Dialect { return plainDialect{records: true} }

type plainDialect struct{ records bool }

func (plainDialect) ErrorContentType() string { return problem.ContentType }

func (d plainDialect) AppendSuccess(dst []byte, r *Reply) ([]byte, error) {
	if d.records {
		if out, ok, err := r.AppendRecords(dst); ok {
			return out, err
		}
	}
	return r.AppendData(dst)
}

func (plainDialect) AppendError(dst []byte, r *Reply) ([]byte, error) {
	// Resolve the type through the writer's cache rather than letting
	// AppendJSON concatenate the base URI on every call.
	p := *r.Problem
	p.Type = r.ProblemType()
	return p.AppendJSON(dst, "")
}
