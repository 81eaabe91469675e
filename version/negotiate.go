package version

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/apikit-go/apikit/problem"
)

// A Negotiator is middleware that chooses the API version of each request
// among the versions the API serves. The version comes from the request
// header (API-Version unless [WithVersionHeader] says otherwise), else from the
// caller's pinned version ([WithPinned]), else from the server's default
// ([WithDefault]). A malformed or unsupported version is answered with a
// 400 [ErrUnknown] listing the supported ones; next is not called.
//
// The chosen version is echoed in the response header of the same name
// (with Vary naming it, for caches) before next runs, and stored in the
// request context for [FromContext] and [Of].
type Negotiator struct {
	header    string // canonical key
	name      string // as configured, for messages and Vary
	supported []Version
	names     []string // supported, as text, oldest first
	boxed     []any    // supported, boxed once for the context
	def       int      // index of the default in supported
	pinned    func(*http.Request) string
	ew        problem.ErrorWriter
}

// NewNegotiator returns a Negotiator serving the date versions supported
// (YYYY-MM-DD, at least one, no duplicates; any order). Options:
// [WithVersionHeader], [WithDefault], [WithPinned], [WithErrorWriter].
func NewNegotiator(supported []string, opts ...Option) (*Negotiator, error) {
	c := config{header: "API-Version"}
	if err := applyOptions(&c, forNegotiator, opts); err != nil {
		return nil, err
	}
	if len(supported) == 0 {
		return nil, &configError{Option: "supported", Reason: "no version given"}
	}
	n := &Negotiator{header: http.CanonicalHeaderKey(c.header), name: c.header, pinned: c.pinned, ew: c.errorWriter}
	for _, s := range supported {
		v, err := Parse(s)
		if err != nil {
			return nil, &configError{Option: "supported", Reason: err.Error()}
		}
		n.supported = append(n.supported, v)
	}
	slices.SortFunc(n.supported, func(a, b Version) int { return int(a.n - b.n) })
	for i, v := range n.supported {
		if i > 0 && n.supported[i-1].n == v.n {
			return nil, &configError{Option: "supported", Reason: "duplicate version " + v.s}
		}
		n.names = append(n.names, v.s)
		n.boxed = append(n.boxed, v)
	}
	if c.hasDef {
		i := slices.Index(n.names, c.def)
		if i < 0 {
			return nil, &configError{Option: "WithDefault", Reason: "version " + quote(c.def) + " is not among the supported ones"}
		}
		n.def = i
	}
	return n, nil
}

// quote quotes outside input, shortened, for messages.
func quote(s string) string { return strconv.Quote(clip(s)) }

// WithVersionHeader sets the name of the request header that names the version,
// which is also the response header that echoes the chosen one. Applies to
// a [Negotiator]. Default: API-Version.
func WithVersionHeader(name string) Option {
	return option{"WithVersionHeader", forNegotiator, func(c *config) error {
		if !validToken(name) {
			return &configError{Option: "WithVersionHeader", Reason: "invalid header name " + quote(name)}
		}
		c.header = name
		return nil
	}}
}

// WithDefault sets the server's default: the version of a request that
// names none and whose caller has no pinned version. It must be one of
// the supported versions. Applies to a [Negotiator]. Default: the oldest
// supported version, so that a caller who never chose one never sees a
// breaking change.
func WithDefault(v string) Option {
	return option{"WithDefault", forNegotiator, func(c *config) error {
		c.def, c.hasDef = v, true
		return nil
	}}
}

// WithPinned sets the per-caller default: pinned returns the version the
// request's caller is pinned to (for example the version a partner first
// integrated with), or "" for none. A request header still wins. A pinned
// version the API no longer serves is answered with a 400 [ErrUnknown]
// telling the caller to send the header, rather than silently changing
// the caller's contract. Applies to a [Negotiator]. Default: no pins.
func WithPinned(pinned func(r *http.Request) string) Option {
	return option{"WithPinned", forNegotiator, func(c *config) error {
		c.pinned = pinned
		return nil
	}}
}

// Supported returns the supported versions, oldest first, in a new slice.
func (n *Negotiator) Supported() []string { return slices.Clone(n.names) }

// Handler returns next wrapped with the negotiation.
func (n *Negotiator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := n.choose(r)
		if err != nil {
			problem.WriteTo(n.ew, w, r, err)
			return
		}
		h := w.Header()
		h.Set(n.header, n.names[i])
		h.Add("Vary", n.name)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, n.boxed[i])))
	})
}

// choose returns the index of the version for r.
func (n *Negotiator) choose(r *http.Request) (int, error) {
	if vals := r.Header[n.header]; len(vals) > 0 {
		if len(vals) > 1 {
			return 0, n.unknown("Send one " + n.name + " header, not " + strconv.Itoa(len(vals)))
		}
		if s := vals[0]; s != "" {
			return n.lookup(s, "")
		}
	}
	if n.pinned != nil {
		if s := n.pinned(r); s != "" {
			return n.lookup(s, "The version pinned for this caller, ")
		}
	}
	return n.def, nil
}

// lookup finds s among the supported versions.
func (n *Negotiator) lookup(s, pinned string) (int, error) {
	for i, name := range n.names {
		if name == s {
			return i, nil
		}
	}
	list := strings.Join(n.names, ", ")
	switch {
	case pinned != "":
		return 0, n.unknown(pinned + quote(s) + ", is no longer supported; send " + n.name + " with one of: " + list)
	case !validDate(s):
		return 0, n.unknown(n.name + " " + quote(s) + " is not a date version (YYYY-MM-DD); supported: " + list)
	default:
		return 0, n.unknown("API version " + quote(s) + " is not supported; supported: " + list)
	}
}

func (n *Negotiator) unknown(detail string) error {
	return ErrUnknown.New(detail).WithExtension("supported", slices.Clone(n.names))
}

func validDate(s string) bool { _, ok := parseDate(s); return ok }

// validToken reports whether s is an HTTP token (RFC 9110 §5.6.2).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
