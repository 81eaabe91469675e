package envelope

import (
	"encoding/json"
	"math/bits"
	"sync"
	"sync/atomic"
)

// Buffers up to smallBuffer stay with their pooled state; bigger ones, for
// long lists, are pooled by size class (128 KiB, 256 KiB, … 16 MiB) so a
// list of the same size as the last one reuses its buffer instead of
// making garbage proportional to the body. Bodies over 16 MiB are left to
// the garbage collector. sync.Pool drops idle buffers at garbage
// collection, so the memory held is bounded by what concurrent requests
// used since the last cycle.
const (
	smallBuffer = 64 << 10
	bigClasses  = 8 // 128 KiB << 0 … 128 KiB << 7 = 16 MiB
)

type bufferPool struct {
	states sync.Pool
	big    [bigClasses]sync.Pool // of *bigBuffer
	// perItem is the body size per item of the last list: the size hint of
	// the next one.
	perItem atomic.Int64
}

type bigBuffer struct{ b []byte }

// state is a writer's reusable scratch space: the body buffer, a JSON
// encoder writing into it and the Reply handed to the dialect.
type state struct {
	buf   []byte
	enc   *json.Encoder
	reply Reply
	wr    *Writer
	big   *bigBuffer // a size-class buffer lent for this response
	items int        // the number of items of a list, for the size hint
}

func (p *bufferPool) get() *state {
	if st, ok := p.states.Get().(*state); ok {
		return st
	}
	s := &state{buf: make([]byte, 0, 1024)}
	s.enc = json.NewEncoder((*stateWriter)(s))
	s.enc.SetEscapeHTML(false)
	return s
}

// bigClass returns the size class of a buffer of n bytes, or -1 when it
// is not pooled by class.
func bigClass(n int) int {
	if n <= smallBuffer || n > smallBuffer<<bigClasses {
		return -1
	}
	return bits.Len(uint((n - 1) >> 17)) // 128 KiB → 0, 256 KiB → 1, …
}

// lend gives st a buffer of at least n bytes from the size classes, when n
// is big enough for one.
func (p *bufferPool) lend(st *state, n int) {
	c := bigClass(n)
	if c < 0 {
		return
	}
	bb, ok := p.big[c].Get().(*bigBuffer)
	if !ok {
		bb = &bigBuffer{b: make([]byte, 0, 128<<10<<c)}
	}
	st.big = bb
	st.buf = bb.b[:0]
}

// put clears st and returns it, and any big buffer, to the pool. body is
// the buffer the response was encoded into (nil if none).
func (p *bufferPool) put(st *state, body []byte) {
	if body != nil {
		st.buf = body[:0]
	}
	st.reply = Reply{}
	st.items = 0
	if bb := st.big; bb != nil || cap(st.buf) > smallBuffer {
		if bb == nil {
			bb = &bigBuffer{}
		}
		bb.b = st.buf[:0]
		if c := bigClass(cap(bb.b)); c >= 0 {
			// A buffer that grew past its class goes to the class it now fills.
			if cap(bb.b) < 128<<10<<c {
				c--
			}
			if c >= 0 {
				p.big[c].Put(bb)
			}
		}
		st.big = nil
		st.buf = make([]byte, 0, 1024)
	}
	p.states.Put(st)
}

// stateWriter is the io.Writer the encoder appends to.
type stateWriter state

func (w *stateWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}
