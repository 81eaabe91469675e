package version

import (
	"net/http"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// An Option configures a [Negotiator] or a [Deprecation]. Each option says
// which of the two it applies to; giving one to the other is a
// configuration error reported by the constructor.
type Option interface {
	apply(*config) (target, error)
}

// target is what an option applies to.
type target uint8

const (
	forNegotiator target = 1 << iota
	forDeprecation
	forBoth = forNegotiator | forDeprecation
)

func (t target) String() string {
	if t == forNegotiator {
		return "a Negotiator"
	}
	return "a Deprecation"
}

type option struct {
	name string
	to   target
	fn   func(*config) error
}

func (o option) apply(c *config) (target, error) { return o.to, o.fn(c) }

// config holds the settings of both middleware types.
type config struct {
	errorWriter problem.ErrorWriter

	// Negotiator
	header string
	def    string
	pinned func(*http.Request) string
	hasDef bool

	// Deprecation
	now       func() time.Time
	sunset    time.Time
	successor string
	depLink   string
	sunLink   string
	brownouts []Window
	observer  func(Event)
	caller    func(*http.Request) string
}

// applyOptions applies opts for t, rejecting options meant for the other
// middleware.
func applyOptions(c *config, t target, opts []Option) error {
	for _, o := range opts {
		if o == nil {
			continue
		}
		to, err := o.apply(c)
		if err != nil {
			return err
		}
		if to&t == 0 {
			return &configError{Option: o.(option).name, Reason: "applies to " + to.String() + " only"}
		}
	}
	return nil
}

// configError reports a bad configuration found by [NewNegotiator] or
// [NewDeprecation]: "version: <option or argument>: <reason>". Like every
// apikit constructor's, it is a descriptive error, not a type to match.
type configError struct {
	Option string // the option, "WithSunset", or the argument at fault
	Reason string
}

func (e *configError) Error() string { return "version: " + e.Option + ": " + e.Reason }

// WithErrorWriter sets the writer of the middleware's error responses (the
// 400 version/unknown, the 410 version/sunset). Applies to both.
// Default: the API's writer in the request context (put there by the
// envelope middleware), else plain RFC 9457 ([problem.WriteTo]).
func WithErrorWriter(ew problem.ErrorWriter) Option {
	return option{"WithErrorWriter", forBoth, func(c *config) error {
		c.errorWriter = ew
		return nil
	}}
}
