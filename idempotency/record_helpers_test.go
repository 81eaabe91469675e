package idempotency

import "net/http"

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
