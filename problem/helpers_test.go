package problem

import (
	"time"
)

// patientNotFound is the seed-001 definition the tests use; it belongs to
// the seed API, not to the standard catalog.
var patientNotFound = MustDefine("patients/not-found", 404, "Patient not found", WithType("patient-not-found"))

func mustCatalog(base string) *Catalog {
	c, err := NewCatalog(base)
	if err != nil {
		panic(err)
	}
	return c
}

func catalogDefine(c *Catalog, code string, status int, title string, opts ...DefineOption) (Definition, error) {
	d, err := Define(code, status, title, opts...)
	if err != nil {
		return Definition{}, err
	}
	return d, c.Register(d)
}

func ceilSeconds(d time.Duration) int64 { return (&Problem{RetryAfter: d}).RetryAfterSeconds() }

func parseBodyStd(status int, body []byte) *Problem { return parseBody(status, body, nil) }

// appendJSONBase renders p with its type resolved against base.
func appendJSONBase(p *Problem, dst []byte, base string) ([]byte, error) {
	q := *p
	q.Type = resolveType(base, p.Type)
	return q.AppendJSON(dst)
}
