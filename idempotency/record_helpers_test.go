package idempotency

import (
	"net/http"
	"strconv"
	"testing"
)

// storedResponse is a response kept for replay.
type storedResponse struct {
	status    int
	header    http.Header
	body      []byte
	notStored bool
}

// appendRecord appends r's encoding to dst. Header names are written in the
// order of names, which makes the encoding deterministic. It and
// decodeRecord are the whole-record forms of the format, used by the fuzz
// tests as a round-trip oracle; the middleware writes records piecewise
// (appendRecordHead, then the body, see recorder) and replays them through
// parseRecord, which both share.
func appendRecord(dst []byte, r *storedResponse, names []string) []byte {
	var flags byte
	if r.notStored {
		flags |= flagNotStored
	}
	dst = appendRecordHead(dst, flags, r.status, r.header, names)
	return append(dst, r.body...)
}

// decodeRecord parses an encoded response. The body aliases b.
func decodeRecord(b []byte) (*storedResponse, error) {
	v, err := parseRecord(b)
	if err != nil {
		return nil, err
	}
	r := &storedResponse{status: v.status, notStored: v.notStored, body: v.body}
	if v.nheaders > 0 {
		r.header = make(http.Header, v.nheaders)
	}
	v.eachHeader(func(name, values []byte) {
		nv, values, _ := uvarint(values)
		vs := make([]string, 0, nv)
		for range nv {
			var val []byte
			val, values, _ = field(values)
			vs = append(vs, string(val))
		}
		r.header[string(name)] = vs
	})
	return r, nil
}

// TestRecordHeadManyHeaders: a head with 128 or more headers (a count
// that takes two varint bytes) decodes to every header.
func TestRecordHeadManyHeaders(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300} {
		h := http.Header{}
		var names []string
		for i := range n {
			name := "X-H" + strconv.Itoa(i)
			h[name] = []string{"v" + strconv.Itoa(i)}
			names = append(names, name)
		}
		h["Not-Listed"] = []string{"x"}
		rec := append(appendRecordHead(nil, 0, 201, h, names), "body"...)
		v, err := parseRecord(rec)
		if err != nil || v.nheaders != n || v.status != 201 || string(v.body) != "body" {
			t.Fatalf("%d headers: %+v, %v", n, v, err)
		}
	}
}
