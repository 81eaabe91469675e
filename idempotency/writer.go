package idempotency

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
	"strconv"
)

// recorder passes a response through to the client while encoding a copy
// for the store as it goes: the status and the replayed headers as they
// were when the status was written (the record's head), then the body up
// to a limit.
type recorder struct {
	http.ResponseWriter
	names    []string
	limit    int
	status   int
	record   []byte // the encoded record so far
	head     int    // the length of its head
	overflow bool
	hijacked bool
}

// recordBodyGuess is the body capacity reserved in a record when the
// handler did not set Content-Length.
const recordBodyGuess = 512

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

// snapshot encodes the record's head into a buffer sized for the head and
// the expected body.
func (w *recorder) snapshot() {
	src := w.ResponseWriter.Header()
	size := 2 + 2*binary.MaxVarintLen64
	for _, name := range w.names {
		if vs := src[name]; len(vs) > 0 {
			size += len(name) + 2*binary.MaxVarintLen64
			for _, v := range vs {
				size += len(v) + binary.MaxVarintLen64
			}
		}
	}
	body := recordBodyGuess
	if cl := firstValue(src["Content-Length"]); cl != "" {
		if n, err := strconv.Atoi(cl); err == nil && n >= 0 {
			body = n
		}
	}
	w.record = appendRecordHead(make([]byte, 0, size+min(body, w.limit)), 0, w.status, src, w.names)
	w.head = len(w.record)
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
	if !w.overflow {
		if len(w.record)-w.head+len(s) > w.limit {
			w.overflowed()
		} else {
			w.record = append(w.record, s...)
		}
	}
	if sw, ok := w.ResponseWriter.(interface{ WriteString(string) (int, error) }); ok {
		return sw.WriteString(s)
	}
	return w.ResponseWriter.Write([]byte(s))
}

func (w *recorder) keep(p []byte) {
	if w.overflow {
		return
	}
	if len(w.record)-w.head+len(p) > w.limit {
		w.overflowed()
		return
	}
	w.record = append(w.record, p...)
}

// overflowed drops the body kept so far: the record will hold the head
// only, marked as not stored.
func (w *recorder) overflowed() {
	w.overflow = true
	w.record = append([]byte(nil), w.record[:w.head]...)
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
// the status and the encoded record.
func (w *recorder) result() (int, []byte) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.snapshot()
	}
	if w.overflow {
		w.record[1] |= flagNotStored
	}
	return w.status, w.record
}

func firstValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
