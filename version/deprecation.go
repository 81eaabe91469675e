package version

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apikit-go/apikit/problem"
)

// A Deprecation is middleware for a route or a group of routes that is
// going away. Every response of the wrapped handler carries
//
//	Deprecation: @1688169599                                   (RFC 9745)
//	Sunset: Sun, 30 Jun 2024 23:59:59 GMT                      (RFC 8594, with WithSunset)
//	Link: <https://example.com/deprecation>; rel="deprecation"; type="text/html"
//	Link: <https://example.com/sunset>; rel="sunset"; type="text/html"
//	Link: </v2/patients>; rel="successor-version"              (RFC 5829)
//
// the Link entries being those configured. The fields are sent from the
// moment the middleware is in place: a Deprecation date in the future
// announces the deprecation (RFC 9745 §2.1).
//
// From the sunset on, the route answers 410 [ErrSunset] naming the
// successor, without calling next; so it does inside the brownout windows
// before the sunset ([WithBrownouts]). Each call made once the route is
// deprecated is reported to the observer ([WithObserver]) with the caller
// ([WithCaller]), so operators can see who still depends on it.
type Deprecation struct {
	now        func() time.Time
	deprecated time.Time
	sunset     time.Time
	successor  string
	depVal     string   // "@<epoch>"
	sunVal     string   // HTTP-date, or ""
	links      []string // Link values
	brownouts  []Window
	observer   func(Event)
	caller     func(*http.Request) string
	ew         problem.ErrorWriter
}

// A Window is a brownout: from Start (inclusive) to End (exclusive) the
// route answers 410 as if it were past its sunset.
type Window struct {
	Start, End time.Time
}

// An Event reports one call of a deprecated route (at or after its
// deprecation date) to the observer.
type Event struct {
	// Request is the call. The observer must not keep it after it returns.
	Request *http.Request
	// Caller identifies who made the call ([WithCaller]); "" when unknown.
	Caller string
	// Time is the clock reading of the call.
	Time time.Time
	// Deprecated and Sunset are the route's dates (Sunset is zero when
	// none is set).
	Deprecated, Sunset time.Time
	// Gone reports that the call was answered 410: past the sunset or in
	// a brownout.
	Gone bool
	// Brownout reports that the call fell in a brownout window.
	Brownout bool
}

// NewDeprecation returns the middleware of a route deprecated at
// deprecated (a future time announces it). Options: [WithSunset],
// [WithSuccessor], [WithDeprecationLink], [WithSunsetLink],
// [WithBrownouts], [WithObserver], [WithCaller], [WithClock],
// [WithErrorWriter].
func NewDeprecation(deprecated time.Time, opts ...Option) (*Deprecation, error) {
	c := config{now: time.Now}
	if err := applyOptions(&c, forDeprecation, opts); err != nil {
		return nil, err
	}
	if deprecated.IsZero() {
		return nil, &configError{Option: "deprecated", Reason: "the deprecation time is zero"}
	}
	d := &Deprecation{
		now: c.now, deprecated: deprecated, sunset: c.sunset, successor: c.successor,
		depVal:   "@" + strconv.FormatInt(deprecated.Unix(), 10),
		observer: c.observer, caller: c.caller, ew: c.errorWriter,
	}
	if !d.sunset.IsZero() {
		if d.sunset.Before(deprecated) {
			return nil, &configError{Option: "WithSunset", Reason: "the sunset is before the deprecation (RFC 9745 §4)"}
		}
		d.sunVal = d.sunset.UTC().Format(http.TimeFormat)
	}
	if c.depLink != "" {
		d.links = append(d.links, "<"+c.depLink+`>; rel="deprecation"; type="text/html"`)
	}
	if c.sunLink != "" {
		d.links = append(d.links, "<"+c.sunLink+`>; rel="sunset"; type="text/html"`)
	}
	if c.successor != "" {
		d.links = append(d.links, "<"+c.successor+`>; rel="successor-version"`)
	}
	for _, w := range c.brownouts {
		switch {
		case !w.Start.Before(w.End):
			return nil, &configError{Option: "WithBrownouts", Reason: "a window must start before it ends"}
		case w.Start.Before(deprecated):
			return nil, &configError{Option: "WithBrownouts", Reason: "a window starts before the deprecation"}
		case !d.sunset.IsZero() && w.End.After(d.sunset):
			return nil, &configError{Option: "WithBrownouts", Reason: "a window ends after the sunset"}
		}
		d.brownouts = append(d.brownouts, w)
	}
	slices.SortFunc(d.brownouts, func(a, b Window) int { return a.Start.Compare(b.Start) })
	return d, nil
}

// WithSunset sets when the route stops answering: from then on it answers
// 410 [ErrSunset]. It must not be before the deprecation. Applies to a
// [Deprecation]. Default: no sunset (no Sunset field, never 410 but in
// brownouts).
func WithSunset(t time.Time) Option {
	return option{"WithSunset", forDeprecation, func(c *config) error {
		c.sunset = t
		return nil
	}}
}

// WithSuccessor sets the URI of the route that replaces this one
// ("/v2/patients" or an absolute URL): sent as a Link with
// rel="successor-version" and named in the 410. Applies to a
// [Deprecation]. Default: none.
func WithSuccessor(uri string) Option {
	return linkOption("WithSuccessor", uri, func(c *config) { c.successor = uri })
}

// WithDeprecationLink sets the URI of a human-readable page about the
// deprecation (migration guide), sent as a Link with rel="deprecation"
// (RFC 9745 §3). Applies to a [Deprecation]. Default: none.
func WithDeprecationLink(uri string) Option {
	return linkOption("WithDeprecationLink", uri, func(c *config) { c.depLink = uri })
}

// WithSunsetLink sets the URI of a human-readable page about the sunset
// policy, sent as a Link with rel="sunset" (RFC 8594 §6). Applies to a
// [Deprecation]. Default: none.
func WithSunsetLink(uri string) Option {
	return linkOption("WithSunsetLink", uri, func(c *config) { c.sunLink = uri })
}

func linkOption(name, uri string, set func(*config)) Option {
	return option{name, forDeprecation, func(c *config) error {
		if !validLink(uri) {
			return &configError{Option: name, Reason: "invalid URI reference " + quote(uri)}
		}
		set(c)
		return nil
	}}
}

// validLink reports whether uri is a URI reference that can sit between
// '<' and '>' in a Link field.
func validLink(uri string) bool {
	if uri == "" || strings.ContainsAny(uri, "<>\" \t,;") {
		return false
	}
	for i := 0; i < len(uri); i++ {
		if uri[i] < 0x21 || uri[i] > 0x7e {
			return false
		}
	}
	_, err := url.Parse(uri)
	return err == nil
}

// WithBrownouts sets windows before the sunset in which the route already
// answers 410, to reach integrations that ignore the header fields. Each
// window must start at or after the deprecation, end at or before the
// sunset and not be empty. Applies to a [Deprecation]. Default: none.
func WithBrownouts(windows ...Window) Option {
	return option{"WithBrownouts", forDeprecation, func(c *config) error {
		c.brownouts = append(c.brownouts, windows...)
		return nil
	}}
}

// WithObserver sets a function called with every call of the route once
// it is deprecated, before the response is written. It runs on the
// request's goroutine, concurrently for concurrent requests: keep it fast
// (count, sample, enqueue). Applies to a [Deprecation]. Default: none.
func WithObserver(observe func(Event)) Option {
	return option{"WithObserver", forDeprecation, func(c *config) error {
		c.observer = observe
		return nil
	}}
}

// WithCaller sets how the observer's [Event.Caller] is found: a partner
// ID, an API key ID, … Applies to a [Deprecation]. Default: no caller
// ("").
func WithCaller(caller func(r *http.Request) string) Option {
	return option{"WithCaller", forDeprecation, func(c *config) error {
		c.caller = caller
		return nil
	}}
}

// WithClock sets the clock that decides whether the route is deprecated,
// in a brownout or past its sunset. Applies to a [Deprecation]. Default:
// time.Now.
func WithClock(now func() time.Time) Option {
	return option{"WithClock", forDeprecation, func(c *config) error {
		if now == nil {
			return &configError{Option: "WithClock", Reason: "nil clock"}
		}
		c.now = now
		return nil
	}}
}

// Handler returns next wrapped with the deprecation.
func (d *Deprecation) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := d.now()
		h := w.Header()
		h.Set("Deprecation", d.depVal)
		if d.sunVal != "" {
			h.Set("Sunset", d.sunVal)
		}
		if len(d.links) > 0 {
			h["Link"] = append(h["Link"], d.links...)
		}
		gone := !d.sunset.IsZero() && !now.Before(d.sunset)
		brown := -1
		if !gone {
			brown = d.brownout(now)
		}
		if d.observer != nil && !now.Before(d.deprecated) {
			ev := Event{Request: r, Time: now, Deprecated: d.deprecated, Sunset: d.sunset, Gone: gone || brown >= 0, Brownout: brown >= 0}
			if d.caller != nil {
				ev.Caller = d.caller(r)
			}
			d.observer(ev)
		}
		if gone || brown >= 0 {
			problem.WriteTo(d.ew, w, r, d.goneError(brown))
			return
		}
		if len(d.links) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		k := &linkKeeper{ResponseWriter: w, links: d.links}
		next.ServeHTTP(k, r)
		k.keep() // a handler that wrote nothing: net/http sends the header now
	})
}

// brownout returns the index of the window now falls in, or -1.
func (d *Deprecation) brownout(now time.Time) int {
	for i, w := range d.brownouts {
		if !now.Before(w.Start) && now.Before(w.End) {
			return i
		}
	}
	return -1
}

// goneError is the 410 for a call past the sunset (brown < 0) or in the
// brownout window brown.
func (d *Deprecation) goneError(brown int) error {
	var b strings.Builder
	if brown >= 0 {
		b.WriteString("This endpoint is unavailable during a scheduled brownout until ")
		b.WriteString(d.brownouts[brown].End.UTC().Format(time.RFC3339))
		if d.sunVal != "" {
			b.WriteString(", ahead of its sunset on ")
			b.WriteString(d.sunset.UTC().Format(time.RFC3339))
		}
	} else {
		b.WriteString("This endpoint was retired on ")
		b.WriteString(d.sunset.UTC().Format(time.RFC3339))
	}
	if d.successor != "" {
		b.WriteString("; use ")
		b.WriteString(d.successor)
	}
	b.WriteString(".")
	p := ErrSunset.New(b.String())
	if d.successor != "" {
		p = p.WithExtension("successor", d.successor)
	}
	if !d.sunset.IsZero() {
		p = p.WithExtension("sunset", d.sunset.UTC().Format(time.RFC3339))
	}
	if brown >= 0 {
		p = p.WithExtension("brownoutEnd", d.brownouts[brown].End.UTC().Format(time.RFC3339))
	}
	return p
}

// linkKeeper puts the deprecation's Link values back when the handler
// replaced the Link field (pagination's SetLink does) before the header
// is sent.
type linkKeeper struct {
	http.ResponseWriter
	links []string
	done  bool
}

func (k *linkKeeper) keep() {
	if k.done {
		return
	}
	k.done = true
	h := k.ResponseWriter.Header()
	for _, l := range k.links {
		if !slices.Contains(h["Link"], l) {
			h["Link"] = append(h["Link"], l)
		}
	}
}

func (k *linkKeeper) WriteHeader(status int) {
	k.keep()
	k.ResponseWriter.WriteHeader(status)
}

func (k *linkKeeper) Write(b []byte) (int, error) {
	k.keep()
	return k.ResponseWriter.Write(b)
}

// Flush implements http.Flusher when the underlying writer does.
func (k *linkKeeper) Flush() {
	k.keep()
	if f, ok := k.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (k *linkKeeper) Unwrap() http.ResponseWriter { return k.ResponseWriter }
