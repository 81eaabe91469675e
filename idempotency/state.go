package idempotency

import (
	"bytes"
	"io"
	"net/http"
)

// requestState is the scratch memory of one request, reused through the
// middleware's pool. Nothing in it is ever handed to the handler or a
// Store: what they see is copied out first.
type requestState struct {
	digest  digester
	scope   []byte
	derived []byte
	body    []byte
	text    []byte // replayed header values
}

// maxPooledBody is the largest body buffer kept for reuse; larger ones are
// left to the garbage collector so a few big requests do not pin memory.
const maxPooledBody = 64 << 10

func (m *middleware) getState() *requestState {
	if st, ok := m.states.Get().(*requestState); ok {
		return st
	}
	return &requestState{
		digest:  *newDigester(),
		scope:   make([]byte, 0, 5+hexDigestLen),
		derived: make([]byte, 0, derivedLen),
		body:    make([]byte, 0, 1024),
	}
}

func (m *middleware) putState(st *requestState) {
	if cap(st.body) > maxPooledBody {
		st.body = nil
	}
	if cap(st.text) > maxPooledBody {
		st.text = nil
	}
	if cap(st.digest.buf) > maxPooledBody {
		st.digest.buf = make([]byte, 0, 512)
	}
	st.body = st.body[:0]
	m.states.Put(st)
}

// readBody reads the whole request body, up to maxBody bytes, into st.body.
// It returns whether there was a body to read.
func (m *middleware) readBody(r *http.Request, st *requestState) (bool, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return false, nil
	}
	if r.ContentLength > m.maxBody {
		return true, &http.MaxBytesError{Limit: m.maxBody}
	}
	buf := st.body[:0]
	if r.ContentLength > 0 && int64(cap(buf)) <= r.ContentLength {
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

// bufferedBody is the request body given to the handler once the middleware
// has read it: a private copy, re-readable through GetBody.
type bufferedBody struct {
	bytes.Reader
	b []byte
}

func (*bufferedBody) Close() error { return nil }

func (bb *bufferedBody) getBody() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(bb.b)), nil
}

// restoreBody puts a copy of the body read into st back on r for the
// handler.
func restoreBody(r *http.Request, st *requestState) {
	b := bytes.Clone(st.body)
	if b == nil {
		b = []byte{}
	}
	bb := &bufferedBody{b: b}
	bb.Reset(b)
	r.Body = bb
	r.GetBody = bb.getBody
	r.ContentLength = int64(len(b))
}
