package envelope

import (
	"context"
	"net/http"
	"strconv"

	"github.com/apikit-go/apikit/internal/jsonw"
)

// versionConfig holds what the writer knows about API versions and
// response metadata (WithVersion, WithResponseMeta).
type versionConfig struct {
	of           func(*http.Request) string
	responseMeta bool
}

// WithVersion sets how the API version of each request is found, for
// example the version a version.Negotiator chose:
//
//	wr := envelope.New(envelope.Meta("2025-01-01"), envelope.WithVersion(version.Of))
//
// The meta dialect writes it as meta.version, in place of the version
// given to [Meta]; the standard dialect writes it as meta.apiVersion when
// [WithResponseMeta] is set. When fn returns "" the dialect's own default
// applies. Default: none (meta.version is the version given to [Meta]).
func WithVersion(fn func(r *http.Request) string) Option {
	return func(o *options) { o.vers.of = fn }
}

// WithResponseMeta makes the standard dialect end every response, success
// and error, with the object seeds/000 reads when debugging:
//
//	"meta":{"apiVersion":"2025-06-01","responseTime":42}
//
// apiVersion is the request's version ([WithVersion]); responseTime is the
// whole milliseconds between the moment the envelope middleware
// ([Writer.Handler]) saw the request and the response, by the writer's
// clock. A member that is unknown (no version, no middleware) is left out,
// and so is the object when both are. Other dialects ignore it. Default:
// off, so the standard dialect is seeds/001 byte for byte.
func WithResponseMeta() Option {
	return func(o *options) { o.vers.responseMeta = true }
}

// initContext makes c ctx with the request information the request-ID
// middleware adds (the ID and, for responseTime, the arrival time) and wr
// as the error writer.
func (wr *Writer) initContext(c *reqContext, ctx context.Context, id string) {
	*c = reqContext{Context: ctx, wr: wr, own: requestInfo{id: id}}
	c.info = &c.own
	if wr.vers.responseMeta {
		c.own.start = wr.now()
	}
}

// apiVersion returns the version of the request being answered, or def.
func (r *Reply) apiVersion(def string) string {
	if r.st == nil || r.st.wr.vers.of == nil || r.Request == nil {
		return def
	}
	if v := r.st.wr.vers.of(r.Request); v != "" {
		return v
	}
	return def
}

// appendResponseMeta appends ,"meta":{"apiVersion":…,"responseTime":…}
// when WithResponseMeta is set.
func (r *Reply) appendResponseMeta(dst []byte) []byte {
	if r.st == nil || !r.st.wr.vers.responseMeta {
		return dst
	}
	mark := len(dst)
	dst = append(dst, `,"meta":{`...)
	start := len(dst)
	if v := r.apiVersion(""); v != "" {
		dst = append(dst, `"apiVersion":`...)
		dst = jsonw.String(dst, v)
	}
	if r.Request != nil {
		if info := infoFrom(r.Request.Context()); info != nil && !info.start.IsZero() {
			if len(dst) > start {
				dst = append(dst, ',')
			}
			dst = append(dst, `"responseTime":`...)
			dst = strconv.AppendInt(dst, max(r.Time.Sub(info.start).Milliseconds(), 0), 10)
		}
	}
	if len(dst) == start {
		return dst[:mark]
	}
	return append(dst, '}')
}
