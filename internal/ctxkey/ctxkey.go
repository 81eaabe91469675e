// Package ctxkey holds the context keys that more than one apikit package
// must agree on without importing each other.
package ctxkey

// ErrorWriter is the key of the API's problem.ErrorWriter in a request's
// context. problem.ContextWithWriter stores under it; the envelope
// middleware's own context answers it directly, so that the request's
// information and the writer cost one context value.
type ErrorWriter struct{}
