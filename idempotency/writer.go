package idempotency

import (
	"bufio"
	"net"
	"net/http"
)

// recorder passes a response through to the client while keeping a copy
// for the store: the status, the replayed headers as they were when the
// status was written, and the body up to a limit.
type recorder struct {
	http.ResponseWriter
	names    []string
	limit    int
	status   int
	header   http.Header
	body     []byte
	overflow bool
	hijacked bool
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

func (w *recorder) snapshot() {
	src := w.ResponseWriter.Header()
	for _, name := range w.names {
		if vs := src[name]; len(vs) > 0 {
			if w.header == nil {
				w.header = make(http.Header, len(w.names))
			}
			w.header[name] = append([]string(nil), vs...)
		}
	}
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
		if len(w.body)+len(s) > w.limit {
			w.overflow, w.body = true, nil
		} else {
			w.body = append(w.body, s...)
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
	if len(w.body)+len(p) > w.limit {
		w.overflow, w.body = true, nil
		return
	}
	w.body = append(w.body, p...)
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

// result returns what was recorded once the handler has returned.
func (w *recorder) result() *storedResponse {
	if w.status == 0 {
		w.status = http.StatusOK
		w.snapshot()
	}
	return &storedResponse{status: w.status, header: w.header, body: w.body, notStored: w.overflow}
}
