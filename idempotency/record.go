package idempotency

import (
	"encoding/binary"
	"errors"
	"net/http"
	"slices"
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

// appendRecordHead appends everything of a record but its body: the
// headers of h listed in names. It walks h, usually the shorter of the two,
// and looks its names up in names, so it hashes no strings.
func appendRecordHead(dst []byte, flags byte, status int, h http.Header, names []string) []byte {
	dst = append(dst, recordVersion, flags)
	dst = binary.AppendUvarint(dst, uint64(status))
	at := len(dst)
	dst = append(dst, 0) // the header count, when below 128
	n := 0
	for name, vs := range h {
		if len(vs) == 0 || !slices.Contains(names, name) {
			continue
		}
		n++
		dst = appendString(dst, name)
		dst = binary.AppendUvarint(dst, uint64(len(vs)))
		for _, v := range vs {
			dst = appendString(dst, v)
		}
	}
	if n < 0x80 {
		dst[at] = byte(n)
		return dst
	}
	var count [binary.MaxVarintLen64]byte
	c := binary.PutUvarint(count[:], uint64(n))
	dst = append(dst, count[1:c]...)
	copy(dst[at+c:], dst[at+1:len(dst)-(c-1)])
	copy(dst[at:], count[:c])
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// recordView is a validated encoded record, read without copying: headers
// holds the encoded header entries, body aliases the record.
type recordView struct {
	status     int
	notStored  bool
	nheaders   int
	nvalues    int // over all headers
	valueBytes int // over all values
	headers    []byte
	body       []byte
}

// parseRecord checks an encoded response and returns a view of it.
func parseRecord(b []byte) (recordView, error) {
	if len(b) < 2 || b[0] != recordVersion || b[1]&^flagNotStored != 0 {
		return recordView{}, errCorrupt
	}
	v := recordView{notStored: b[1]&flagNotStored != 0}
	b = b[2:]
	status, b, ok := uvarint(b)
	if !ok || status < 100 || status > 999 {
		return recordView{}, errCorrupt
	}
	v.status = int(status)
	n, b, ok := uvarint(b)
	if !ok || n > maxRecordHeaders {
		return recordView{}, errCorrupt
	}
	v.nheaders = int(n)
	headers := b
	for range n {
		var name []byte
		if name, b, ok = field(b); !ok || len(name) == 0 {
			return recordView{}, errCorrupt
		}
		var nv uint64
		if nv, b, ok = uvarint(b); !ok || nv == 0 || nv > maxRecordHeaders {
			return recordView{}, errCorrupt
		}
		v.nvalues += int(nv)
		for range nv {
			var val []byte
			if val, b, ok = field(b); !ok {
				return recordView{}, errCorrupt
			}
			v.valueBytes += len(val)
		}
	}
	v.headers = headers[:len(headers)-len(b)]
	v.body = b
	return v, nil
}

// eachHeader calls fn for every header of a view from parseRecord, with
// its name and its values' encoding (count, then length-prefixed values).
func (v *recordView) eachHeader(fn func(name, values []byte)) {
	b := v.headers
	for range v.nheaders {
		name, rest, _ := field(b)
		start := rest
		nv, rest, _ := uvarint(rest)
		for range nv {
			_, rest, _ = field(rest)
		}
		fn(name, start[:len(start)-len(rest)])
		b = rest
	}
}

func uvarint(b []byte) (uint64, []byte, bool) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func field(b []byte) ([]byte, []byte, bool) {
	n, b, ok := uvarint(b)
	if !ok || n > maxRecordValueLen || n > uint64(len(b)) {
		return nil, b, false
	}
	return b[:n], b[n:], true
}
