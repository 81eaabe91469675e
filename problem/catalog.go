package problem

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// The standard catalog: the error types every partner API needs, with the
// slugs of seeds/001 as their types and statuses following its status table.
// Codes follow the class/reason pattern; the classes are validation, auth,
// resource, business, rate-limit and internal. Every 401 carries
// WWW-Authenticate with the RFC 6750 Bearer scheme.
var (
	InvalidRequest         = MustDefine("validation/invalid-request", 400, "Invalid request", WithType("invalid-request"))
	MissingRequiredField   = MustDefine("validation/missing-required-field", 422, "Missing required field", WithType("missing-required-field"))
	InvalidFormat          = MustDefine("validation/invalid-format", 422, "Invalid format", WithType("invalid-format"))
	ValidationFailed       = MustDefine("validation/failed", 422, "Validation failed", WithType("validation-error"))
	AuthenticationRequired = MustDefine("auth/authentication-required", 401, "Unauthorized", WithType("authentication-required"), WithHeader("WWW-Authenticate", "Bearer"))
	InvalidToken           = MustDefine("auth/invalid-token", 401, "Invalid token", WithType("invalid-token"), WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`))
	TokenExpired           = MustDefine("auth/token-expired", 401, "Token expired", WithType("token-expired"), WithHeader("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token expired"`))
	InsufficientScope      = MustDefine("auth/insufficient-scope", 403, "Insufficient scope", WithType("insufficient-scope"), WithHeader("WWW-Authenticate", `Bearer error="insufficient_scope"`))
	AccessDenied           = MustDefine("auth/access-denied", 403, "Access denied", WithType("access-denied"))
	ResourceNotFound       = MustDefine("resource/not-found", 404, "Resource not found", WithType("resource-not-found"))
	ResourceConflict       = MustDefine("resource/conflict", 409, "Resource conflict", WithType("resource-conflict"))
	BusinessRuleViolation  = MustDefine("business/rule-violation", 422, "Business rule violation", WithType("business-rule-violation"))
	RateLimitExceeded      = MustDefine("rate-limit/exceeded", 429, "Rate limit exceeded", WithType("rate-limit-exceeded"))
	InternalError          = MustDefine("internal/error", 500, "Internal server error", WithType("internal-error"))
	ServiceUnavailable     = MustDefine("internal/service-unavailable", 503, "Service unavailable", WithType("service-unavailable"))

	// The following are not in seeds/001 but are what [From] maps
	// standard-library errors to, and what the other apikit packages use.
	RequestTooLarge      = MustDefine("validation/request-too-large", 413, "Request entity too large", WithType("request-too-large"))
	Timeout              = MustDefine("internal/timeout", 504, "Gateway timeout", WithType("timeout"))
	MethodNotAllowed     = MustDefine("validation/method-not-allowed", 405, "Method not allowed", WithType("method-not-allowed"))
	UnsupportedMediaType = MustDefine("validation/unsupported-media-type", 415, "Unsupported media type", WithType("unsupported-media-type"))
)

// standard returns the definitions of the standard catalog, in a new slice.
func standard() []Definition {
	return []Definition{
		InvalidRequest, MissingRequiredField, InvalidFormat, ValidationFailed,
		AuthenticationRequired, InvalidToken, TokenExpired, InsufficientScope, AccessDenied,
		ResourceNotFound, ResourceConflict,
		BusinessRuleViolation, RateLimitExceeded, InternalError, ServiceUnavailable,
		RequestTooLarge, Timeout, MethodNotAllowed, UnsupportedMediaType,
	}
}

// Catalog is a set of definitions with unique codes, a base URI that
// relative types resolve against, and a mapping from Go sentinel errors to
// definitions. It is safe for concurrent use. The zero value is not usable:
// make one with [NewCatalog].
type Catalog struct {
	mu        sync.RWMutex
	base      string
	byCode    map[string]Definition
	bySlug    map[string]Definition
	sentinels []sentinel
}

type sentinel struct {
	target error
	def    Definition
}

// NewCatalog returns a catalog holding the standard definitions, whose
// relative types resolve against base (for example
// "https://api.example.com/errors/"; "" leaves them as "about:blank").
// base must be empty or an absolute URI.
func NewCatalog(base string) (*Catalog, error) {
	if base != "" {
		u, err := url.Parse(base)
		if err != nil || !u.IsAbs() {
			return nil, fmt.Errorf("problem: base URI %q is not absolute", base)
		}
	}
	c := &Catalog{base: base, byCode: map[string]Definition{}, bySlug: map[string]Definition{}}
	if err := c.Register(standard()...); err != nil {
		return nil, err
	}
	return c, nil
}

// Register adds definitions. A code already present is rejected with
// [ErrDuplicateCode] and nothing is added.
func (c *Catalog) Register(defs ...Definition) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := make(map[string]bool, len(defs))
	for _, d := range defs {
		if d.IsZero() {
			return fmt.Errorf("problem: register: zero Definition")
		}
		if _, dup := c.byCode[d.code]; dup || seen[d.code] {
			return fmt.Errorf("%w: %q", ErrDuplicateCode, d.code)
		}
		seen[d.code] = true
	}
	for _, d := range defs {
		c.byCode[d.code] = d
		if d.typ != "" && !isAbsolute(d.typ) {
			c.bySlug[d.typ] = d
		}
	}
	return nil
}

// Map makes [Catalog.From] turn any error for which errors.Is(err, target)
// holds into a problem of def. The first matching mapping wins. def is
// registered if it is not yet.
func (c *Catalog) Map(target error, def Definition) error {
	if target == nil || def.IsZero() {
		return errors.New("problem: map: nil target or zero Definition")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.byCode[def.code]; ok && !have.equal(def) {
		return fmt.Errorf("%w: %q is registered with another definition", ErrDuplicateCode, def.code)
	}
	c.byCode[def.code] = def
	if def.typ != "" && !isAbsolute(def.typ) {
		c.bySlug[def.typ] = def
	}
	c.sentinels = append(c.sentinels, sentinel{target, def})
	return nil
}

// Lookup returns the definition with the given code.
func (c *Catalog) Lookup(code string) (Definition, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, ok := c.byCode[code]
	return d, ok
}

// Definitions returns every registered definition, in no particular order;
// NewCatalog("").Definitions() lists the standard catalog.
func (c *Catalog) Definitions() []Definition {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Definition, 0, len(c.byCode))
	for _, d := range c.byCode {
		out = append(out, d)
	}
	return out
}

// From turns err into a problem: a *Problem or [Definition] in err's chain
// keeps its identity, then the sentinel mappings added with [Catalog.Map]
// are consulted, then the package-level [From] decides. A nil c is
// [From]. Every writer maps errors with it ([Writer], envelope.Writer).
func (c *Catalog) From(err error) *Problem {
	if err == nil {
		return nil
	}
	if c == nil {
		return From(err)
	}
	if p, ok := asProblem(err); ok {
		return p
	}
	c.mu.RLock()
	sentinels := c.sentinels
	c.mu.RUnlock()
	for _, s := range sentinels {
		if errors.Is(err, s.target) {
			return s.def.Wrap(err, "")
		}
	}
	return From(err)
}

// ResolveType returns the type URI every writer renders for a problem type
// t: an absolute URI as it is, a relative reference (a slug) appended to
// the catalog's base URI, "about:blank" when t is empty or there is no base
// (also for a nil c).
func (c *Catalog) ResolveType(t string) string {
	if c == nil {
		return resolveType("", t)
	}
	return resolveType(c.base, t)
}

func resolveType(base, t string) string {
	switch {
	case t == "":
		return aboutBlank
	case isAbsolute(t):
		return t
	case base == "":
		return aboutBlank
	case strings.HasSuffix(base, "/"):
		return base + t
	default:
		return base + "/" + t
	}
}

// lookupType finds the definition of a rendered type URI: by code first
// (an exact code), then by the slug after the base URI or the last path
// segment.
func (c *Catalog) lookupType(t string) (Definition, bool) {
	if t == "" || t == aboutBlank {
		return Definition{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	rel := t
	if c.base != "" && strings.HasPrefix(t, c.base) {
		rel = strings.TrimPrefix(strings.TrimPrefix(t, c.base), "/")
	}
	if d, ok := c.byCode[rel]; ok && d.typ == rel {
		return d, true
	}
	if d, ok := c.bySlug[rel]; ok {
		return d, true
	}
	if d, ok := c.bySlug[typeSlug(t)]; ok {
		return d, true
	}
	return Definition{}, false
}

// isAbsolute reports whether t starts with a URI scheme.
func isAbsolute(t string) bool {
	i := strings.IndexByte(t, ':')
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := t[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}
