package idempotency

import (
	"encoding/binary"
	"errors"
	"net/http"
)

// The stored response, as the middleware encodes it for a Store:
//
//	version   byte (1)
//	flags     byte (bit 0: the response was too large and is not stored)
//	status    uvarint
//	headers   uvarint count, then per header: uvarint len, name,
//	          uvarint value count, per value: uvarint len, value
//	body      the remaining bytes
const (
	recordVersion     = 1
	flagNotStored     = 1 << 0
	maxRecordHeaders  = 1 << 10
	maxRecordValueLen = 1 << 20
)

var errCorrupt = errors.New("idempotency: corrupt stored response")

// storedResponse is a response kept for replay.
type storedResponse struct {
	status    int
	header    http.Header
	body      []byte
	notStored bool
}

// appendRecord appends r's encoding to dst. Header names are written in the
// order of names, which makes the encoding deterministic.
func appendRecord(dst []byte, r *storedResponse, names []string) []byte {
	var flags byte
	if r.notStored {
		flags |= flagNotStored
	}
	dst = append(dst, recordVersion, flags)
	dst = binary.AppendUvarint(dst, uint64(r.status))
	n := 0
	for _, name := range names {
		if len(r.header[name]) > 0 {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, name := range names {
		vs := r.header[name]
		if len(vs) == 0 {
			continue
		}
		dst = appendString(dst, name)
		dst = binary.AppendUvarint(dst, uint64(len(vs)))
		for _, v := range vs {
			dst = appendString(dst, v)
		}
	}
	return append(dst, r.body...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeRecord parses an encoded response. The body aliases b.
func decodeRecord(b []byte) (*storedResponse, error) {
	if len(b) < 2 || b[0] != recordVersion || b[1]&^flagNotStored != 0 {
		return nil, errCorrupt
	}
	r := &storedResponse{notStored: b[1]&flagNotStored != 0}
	b = b[2:]
	status, b, ok := uvarint(b)
	if !ok || status < 100 || status > 999 {
		return nil, errCorrupt
	}
	r.status = int(status)
	n, b, ok := uvarint(b)
	if !ok || n > maxRecordHeaders {
		return nil, errCorrupt
	}
	if n > 0 {
		r.header = make(http.Header, n)
	}
	for range n {
		var name string
		if name, b, ok = str(b); !ok || name == "" {
			return nil, errCorrupt
		}
		var nv uint64
		if nv, b, ok = uvarint(b); !ok || nv == 0 || nv > maxRecordHeaders {
			return nil, errCorrupt
		}
		vs := make([]string, 0, min(nv, 8))
		for range nv {
			var v string
			if v, b, ok = str(b); !ok {
				return nil, errCorrupt
			}
			vs = append(vs, v)
		}
		r.header[name] = vs
	}
	r.body = b
	return r, nil
}

func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func str(b []byte) (string, []byte, bool) {
	n, b, ok := uvarint(b)
	if !ok || n > maxRecordValueLen || n > uint64(len(b)) {
		return "", b, false
	}
	return string(b[:n]), b[n:], true
}
