package envelope

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"
	"time"

	"github.com/oklog/ulid/v2"
)

// HeaderRequestID is the header that carries the request ID, inbound and
// outbound.
const HeaderRequestID = "X-Request-Id"

// MaxRequestIDLen is the longest inbound request ID that is accepted.
const MaxRequestIDLen = 128

// ValidRequestID reports whether an inbound request ID is acceptable: 1 to
// [MaxRequestIDLen] bytes of A–Z, a–z, 0–9, '.', '_', ':' and '-'. Anything
// else (spaces, quotes, control bytes, non-ASCII) could forge log lines or
// break headers and is replaced by a new ID.
func ValidRequestID(id string) bool {
	if len(id) == 0 || len(id) > MaxRequestIDLen {
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
	var rnd [12]byte
	_, _ = rand.Read(rnd[:]) // crypto/rand.Read never fails
	b := make([]byte, 0, 4+13+1+len(rnd))
	b = append(b, "req_"...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, '_')
	for _, c := range rnd {
		// 256 is not a multiple of 36: the slight bias costs less than
		// 0.01 bit per character.
		b = append(b, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(b)
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

// requestInfo is what the request-ID middleware puts in the context.
type requestInfo struct {
	id    string
	echo  string    // metadata.requestID of the request body, set by Decode
	start time.Time // arrival, for WithResponseMeta
}

type ctxKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(ctxKey{}).(*requestInfo)
	return info
}

// RequestIDFrom returns the request ID that [Writer.RequestID] put in ctx.
func RequestIDFrom(ctx context.Context) (string, bool) {
	if info := infoFrom(ctx); info != nil {
		return info.id, true
	}
	return "", false
}

// RequestID is middleware that gives every request an ID: the inbound
// X-Request-Id when [ValidRequestID] accepts it, else a new one from the
// writer's generator. The ID is set on the response's X-Request-Id header
// before next runs, stored in the request context ([RequestIDFrom]) and
// used by every response the writer makes for the request.
func (wr *Writer) RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !ValidRequestID(id) {
			id = wr.newID(wr.now())
		}
		w.Header().Set(HeaderRequestID, id)
		ctx := context.WithValue(r.Context(), ctxKey{}, wr.newInfo(id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
