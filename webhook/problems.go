package webhook

import "github.com/apikit-go/apikit/problem"

// EndpointRefused is the problem an *EndpointError becomes (through
// errors.As, so problem.From and every error writer see it): 422, code
// webhooks/endpoint-refused, with the reason as its detail. A service that
// lets partners register endpoint URLs can answer with it directly.
var EndpointRefused = problem.MustDefine("webhooks/endpoint-refused", 422, "Endpoint refused",
	problem.WithType("endpoint-refused"))

// Definitions returns the problem definitions of this package, in a new
// slice, for registering in a problem.Catalog.
func Definitions() []problem.Definition {
	return []problem.Definition{EndpointRefused}
}

// As makes an *EndpointError usable as a *problem.Problem: an occurrence
// of EndpointRefused that wraps it.
func (e *EndpointError) As(target any) bool {
	p, ok := target.(**problem.Problem)
	if !ok {
		return false
	}
	*p = EndpointRefused.Wrap(e, "The endpoint URL is refused: "+e.Reason)
	return true
}
