package idempotency

import (
	"bytes"
	"io"
	"net/http"

	"github.com/apikit-go/apikit/internal/bodybuf"
)

// requestState is the scratch memory of one request, reused through the
// middleware's pool. Nothing in it is handed to the handler or a Store
// without being copied out or handed over first.
type requestState struct {
	digest  digester
	scratch []byte // pooled body buffer
	body    []byte // the body read: scratch, or a buffer of its own
	hasBody bool
	record  []byte // the recorder's buffer

	// What derive computes.
	sid   scopeID
	id    [32]byte
	fp    [32]byte
	owner token
	// The same as strings, for stores other than the memory store.
	key, fpStr, ownerStr string
}

// maxPooledBody is the largest buffer kept for reuse; larger ones are
// left to the garbage collector so a few big requests do not pin memory.
const maxPooledBody = 64 << 10

func (m *Middleware) getState() *requestState {
	if st, ok := m.states.Get().(*requestState); ok {
		return st
	}
	return &requestState{
		digest:  *newDigester(),
		scratch: make([]byte, 0, 1024),
	}
}

func (m *Middleware) putState(st *requestState) {
	if cap(st.scratch) > maxPooledBody {
		st.scratch = make([]byte, 0, 1024)
	}
	if cap(st.record) > maxPooledBody {
		st.record = nil
	}
	if cap(st.digest.buf) > maxPooledBody {
		st.digest.buf = make([]byte, 0, 512)
	}
	st.body, st.hasBody = nil, false
	st.key, st.fpStr, st.ownerStr = "", "", ""
	m.states.Put(st)
}

// readBody reads the whole request body, up to maxBody bytes, into
// st.body: the pooled buffer, or a buffer of its own when the body is known
// to be larger. It returns whether there was a body to read.
func (m *Middleware) readBody(r *http.Request, st *requestState) (bool, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return false, nil
	}
	if r.ContentLength > m.maxBody {
		return true, &http.MaxBytesError{Limit: m.maxBody}
	}
	buf := st.scratch[:0]
	if r.ContentLength >= int64(cap(buf)) {
		// One spare byte, so the read that finds EOF needs no growth.
		buf = make([]byte, 0, r.ContentLength+1)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		// Read at most maxBody+1 bytes: one more than allowed tells a
		// body over the limit.
		room := min(int64(cap(buf)-len(buf)), m.maxBody+1-int64(len(buf)))
		n, err := r.Body.Read(buf[len(buf) : len(buf)+int(room)])
		buf = buf[:len(buf)+n]
		st.body = buf
		if r.ContentLength < int64(cap(st.scratch)) {
			st.scratch = buf[:0] // grown: keep the larger buffer
		}
		if int64(len(buf)) > m.maxBody {
			return true, &http.MaxBytesError{Limit: m.maxBody}
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return true, err
		}
	}
}

// handOverBody returns the body read, to be given to the handler: the
// buffer itself if it is not the pooled one, else a copy.
func (st *requestState) handOverBody() []byte {
	b := st.body
	st.body = nil
	if len(b) == 0 {
		return []byte{}
	}
	if cap(st.scratch) > 0 && &b[:1][0] == &st.scratch[:1][0] {
		return bytes.Clone(b)
	}
	return b[:len(b):len(b)]
}

// bufferedBody is the request body given to the handler once the middleware
// has read it: a private copy, and an io.Seeker, so the handler can read it
// again.
type bufferedBody struct {
	bytes.Reader
	b []byte
}

var _ bodybuf.Taker = (*bufferedBody)(nil)

func (*bufferedBody) Close() error { return nil }

// TakeUnread returns the bytes not read yet and moves to the end, as a read
// to EOF would (bodybuf.Taker): envelope.Decode takes the body this way
// instead of copying it again. The bytes are the handler's own copy.
func (b *bufferedBody) TakeUnread() []byte {
	rest := b.b[len(b.b)-b.Len():]
	_, _ = b.Seek(0, io.SeekEnd)
	return rest
}

// restoreBody puts the body read back on r for the handler.
func (st *requestState) restoreBody(r *http.Request) {
	bb := &bufferedBody{b: st.handOverBody()}
	bb.Reset(bb.b)
	r.Body = bb
	r.ContentLength = int64(len(bb.b))
}
