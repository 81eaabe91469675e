package idempotency

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
)

// recorder passes a response through to the client while encoding a copy
// for the store as it goes: the status and the replayed headers as they
// were when the status was written (the record's head), then the body up
// to a limit.
//
// The record is built in buf, the request's pooled scratch, and copied out
// to its exact size once the handler has returned; writes after that (a
// handler breaking the ResponseWriter contract) are not kept.
type recorder struct {
	http.ResponseWriter
	names    []string
	limit    int
	status   int
	buf      []byte // the encoded record so far
	head     int    // the length of its head
	overflow bool
	hijacked bool
	finished bool
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
			// Informational responses are passed on, not recorded.
			w.ResponseWriter.WriteHeader(code)
			return
		}
		w.status = code
		w.snapshot()
	}
	w.ResponseWriter.WriteHeader(code)
}

// snapshot encodes the record's head.
func (w *recorder) snapshot() {
	w.buf = appendRecordHead(w.buf[:0], 0, w.status, w.ResponseWriter.Header(), w.names)
	w.head = len(w.buf)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.keep(p)
	return w.ResponseWriter.Write(p)
}

// WriteString keeps io.WriteString from converting to []byte twice.
func (w *recorder) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.overflow && !w.finished {
		if len(w.buf)-w.head+len(s) > w.limit {
			w.overflowed()
		} else {
			w.buf = append(w.buf, s...)
		}
	}
	if sw, ok := w.ResponseWriter.(interface{ WriteString(string) (int, error) }); ok {
		return sw.WriteString(s)
	}
	return w.ResponseWriter.Write([]byte(s))
}

func (w *recorder) keep(p []byte) {
	if w.overflow || w.finished {
		return
	}
	if len(w.buf)-w.head+len(p) > w.limit {
		w.overflowed()
		return
	}
	w.buf = append(w.buf, p...)
}

// overflowed drops the body kept so far: the record will hold the head
// only, marked as not stored.
func (w *recorder) overflowed() {
	w.overflow = true
	w.buf = w.buf[:w.head]
}

// Flush implements http.Flusher for handlers that assert it; it is a no-op
// when the underlying writer cannot flush.
func (w *recorder) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker through the underlying writer. A
// hijacked connection's response cannot be recorded; the key is released.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer
// (deadlines, full duplex, …).
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// result finishes the record once the handler has returned and returns
// the status and a copy of the encoded record.
func (w *recorder) result() (int, []byte) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.snapshot()
	}
	w.finished = true
	if w.overflow {
		w.buf[1] |= flagNotStored
	}
	return w.status, bytes.Clone(w.buf)
}

// finish stops keeping what is written.
func (w *recorder) finish() { w.finished = true }
