package envelope

import (
	"context"
	"crypto/rand"
	"strconv"
	"time"
	"unsafe"

	"github.com/oklog/ulid/v2"

	"github.com/apikit-go/apikit/internal/ctxkey"
	"github.com/apikit-go/apikit/problem"
)

// headerRequestID is the header that carries the request ID, inbound and
// outbound.
const headerRequestID = "X-Request-Id"

// maxRequestIDLen is the longest inbound request ID that is accepted, and
// the longest request ID echoed from a request body.
const maxRequestIDLen = 128

// validRequestID reports whether an inbound request ID is acceptable: 1 to
// maxRequestIDLen bytes of A–Z, a–z, 0–9, '.', '_', ':' and '-'. Anything
// else (spaces, quotes, control bytes, non-ASCII) could forge log lines or
// break headers and is replaced by a new ID.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

// NewReqID returns a request ID of the form req_<unix-ms>_<random>, as in
// seeds/001 ("req_1705312200000_abc123"): the milliseconds of now and 12
// characters of [0-9a-z] from crypto/rand (about 62 bits).
func NewReqID(now time.Time) string {
	return string(appendReqID(make([]byte, 0, reqIDLen), now))
}

// reqIDLen is the length of a request ID from NewReqID until the year
// 2286, when the milliseconds get a 14th digit.
const reqIDLen = 4 + 13 + 1 + 12

// newReqID is NewReqID written into st's own bytes: no allocation of its
// own. The bytes are never written again.
func (st *handlerState) newReqID(now time.Time) string {
	b := appendReqID(st.idBuf[:0], now)
	if &b[0] != &st.idBuf[0] { // did not fit
		return string(b)
	}
	return unsafe.String(&b[0], len(b))
}

func appendReqID(b []byte, now time.Time) []byte {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails
	b = append(b, "req_"...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, '_')
	for _, c := range rnd {
		// 256 is not a multiple of 36: the slight bias costs less than
		// 0.01 bit per character.
		b = append(b, idAlphabet[int(c)%len(idAlphabet)])
	}
	return b
}

// NewULID returns a ULID for now with crypto/rand entropy
// ("01HMF5ZQ8R3T9V6W2X4Y7Z0ABC"): sortable by time, 80 random bits.
func NewULID(now time.Time) string {
	id, err := ulid.New(ulid.Timestamp(now), rand.Reader)
	if err != nil { // a time before 1970 or after 10889: use the current time
		id = ulid.Make()
	}
	return id.String()
}

// requestInfo is what [Writer.Handler] puts in the context.
type requestInfo struct {
	id    string
	echo  string    // metadata.requestID of the request body, set by Decode
	start time.Time // arrival, for WithResponseMeta
}

type ctxKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if c, ok := ctx.(*reqContext); ok { // the common case: no value added since
		return c.info
	}
	info, _ := ctx.Value(ctxKey{}).(*requestInfo)
	return info
}

// reqContext is the context [Writer.Handler] gives a request: one
// value that answers both the request's information ([ctxKey]) and the
// API's error writer (what [problem.ContextWithWriter] would add), so the
// middleware makes one allocation and one request copy instead of two
// context.WithValue layers. Every other key goes to the parent.
type reqContext struct {
	context.Context
	wr   *Writer
	info *requestInfo // own, or an outer Handler's
	own  requestInfo
}

func (c *reqContext) Value(key any) any {
	switch key.(type) {
	case ctxKey:
		return c.info
	case ctxkey.ErrorWriter:
		return problem.ErrorWriter(c.wr)
	}
	return c.Context.Value(key)
}

// RequestIDFrom returns the request ID that [Writer.Handler] put in ctx.
func RequestIDFrom(ctx context.Context) (string, bool) {
	if info := infoFrom(ctx); info != nil {
		return info.id, true
	}
	return "", false
}
