package pagination

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Cursor is a position in a list: the sort values of the row at the
// boundary, ending with the row's unique id as the tiebreaker, and the
// direction to travel from it. A forward cursor selects the rows after the
// boundary row in sort order; a backward cursor the rows before it.
//
// Because the id ends the values, every row has a distinct position, so a
// keyset query (for an ascending sort on created_at, id)
//
//	WHERE (created_at, id) > ($1, $2) ORDER BY created_at, id LIMIT n+1   -- forward
//	WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT n+1 -- backward
//
// neither skips nor repeats rows whose sort values are equal.
type Cursor struct {
	// Values are the boundary row's sort values, ending with its id. Each
	// is nil, a string, []byte, bool, an integer (decoded as int64, or
	// uint64 for unsigned values), a float64 (float32 widens) or a
	// time.Time (decoded in UTC, to the nanosecond).
	Values []any
	// Backward selects the rows before the boundary row instead of after.
	Backward bool
	// Pos is the zero-based position of the boundary row in the list when
	// the cursor was made, used to report offsets on cursor pages; -1 when
	// unknown.
	Pos int64
}

// maxValues is the most sort values a cursor carries.
const maxValues = 16

// Wire layout of a cursor, before URL-safe base64 without padding:
//
//	version(1) flags(1) len(kid)(1) kid body mac(32)
//
// flags bit 0 marks an encrypted body (nonce(12) | AES-GCM ciphertext, the
// header as additional data). The MAC is HMAC-SHA256 over everything before
// it and is checked, in constant time, before the body is read. The body
// (the payload) is:
//
//	flags(1: bit 0 backward) expiry(uvarint unix milliseconds, 0 none)
//	scope(8) filter(8) pos+1(uvarint) n(uvarint) n × (tag value)
const (
	tokenVersion = 2
	// retiredVersion is the layout before the binding digests took their
	// current inputs: its cursors cannot match any request any more and are
	// reported as expired rather than as malformed.
	retiredVersion = 1
	flagEncrypted  = 1
	flagBackward   = 1
	macLen         = 32
	digestLen      = 8
)

// value tags in a payload.
const (
	tagNil byte = iota
	tagString
	tagInt
	tagUint
	tagFloat
	tagFalse
	tagTrue
	tagTime
	tagBytes
)

// b64 is strict so that a token has exactly one spelling.
var b64 = base64.RawURLEncoding.Strict()

// binding is what a cursor is bound to: digests of the route and caller
// scope, and of the bound filter and sort parameters.
type binding struct {
	scope, filter [digestLen]byte
}

// payload is a cursor's signed content.
type payload struct {
	cursor  Cursor
	expires int64 // unix milliseconds; 0 means never
	bind    binding
}

func appendPayload(dst []byte, p *payload) ([]byte, error) {
	if len(p.cursor.Values) > maxValues {
		return nil, fmt.Errorf("pagination: a cursor carries at most %d values, got %d", maxValues, len(p.cursor.Values))
	}
	var f byte
	if p.cursor.Backward {
		f |= flagBackward
	}
	dst = append(dst, f)
	dst = binary.AppendUvarint(dst, uint64(max(p.expires, 0)))
	dst = append(dst, p.bind.scope[:]...)
	dst = append(dst, p.bind.filter[:]...)
	dst = binary.AppendUvarint(dst, uint64(max(p.cursor.Pos, -1)+1))
	dst = binary.AppendUvarint(dst, uint64(len(p.cursor.Values)))
	for i, v := range p.cursor.Values {
		var err error
		if dst, err = appendValue(dst, v); err != nil {
			return nil, fmt.Errorf("pagination: cursor value %d: %w", i, err)
		}
	}
	return dst, nil
}

func appendValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, tagNil), nil
	case string:
		dst = append(dst, tagString)
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		return append(dst, v...), nil
	case []byte:
		dst = append(dst, tagBytes)
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		return append(dst, v...), nil
	case bool:
		if v {
			return append(dst, tagTrue), nil
		}
		return append(dst, tagFalse), nil
	case int:
		return binary.AppendVarint(append(dst, tagInt), int64(v)), nil
	case int8:
		return binary.AppendVarint(append(dst, tagInt), int64(v)), nil
	case int16:
		return binary.AppendVarint(append(dst, tagInt), int64(v)), nil
	case int32:
		return binary.AppendVarint(append(dst, tagInt), int64(v)), nil
	case int64:
		return binary.AppendVarint(append(dst, tagInt), v), nil
	case uint:
		return binary.AppendUvarint(append(dst, tagUint), uint64(v)), nil
	case uint8:
		return binary.AppendUvarint(append(dst, tagUint), uint64(v)), nil
	case uint16:
		return binary.AppendUvarint(append(dst, tagUint), uint64(v)), nil
	case uint32:
		return binary.AppendUvarint(append(dst, tagUint), uint64(v)), nil
	case uint64:
		return binary.AppendUvarint(append(dst, tagUint), v), nil
	case float32:
		return binary.BigEndian.AppendUint64(append(dst, tagFloat), math.Float64bits(float64(v))), nil
	case float64:
		return binary.BigEndian.AppendUint64(append(dst, tagFloat), math.Float64bits(v)), nil
	case time.Time:
		dst = binary.AppendVarint(append(dst, tagTime), v.Unix())
		return binary.AppendUvarint(dst, uint64(v.Nanosecond())), nil
	}
	return nil, fmt.Errorf("unsupported type %T", v)
}

// errBadPayload reports a payload that cannot be read.
var errBadPayload = errors.New("pagination: malformed cursor payload")

// reader reads a payload, remembering the first error.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.bad = true
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func parsePayload(b []byte) (payload, error) { return parsePayloadInto(b, nil) }

// parsePayloadInto is parsePayload that appends the values to vals[:0]
// when they fit in its capacity, so that a caller can provide their
// storage.
func parsePayloadInto(b []byte, vals []any) (payload, error) {
	var p payload
	r := reader{b: b}
	f := r.byte()
	if f&^flagBackward != 0 {
		return p, errBadPayload
	}
	p.cursor.Backward = f&flagBackward != 0
	exp := r.uvarint()
	if exp > math.MaxInt64 {
		return p, errBadPayload
	}
	p.expires = int64(exp)
	copy(p.bind.scope[:], r.bytes(digestLen))
	copy(p.bind.filter[:], r.bytes(digestLen))
	pos := r.uvarint()
	if pos > math.MaxInt64 {
		return p, errBadPayload
	}
	p.cursor.Pos = int64(pos) - 1
	n := r.uvarint()
	if r.bad || n > maxValues {
		return p, errBadPayload
	}
	p.cursor.Values = vals[:0]
	if uint64(cap(vals)) < n {
		p.cursor.Values = make([]any, 0, n)
	}
	for i := uint64(0); i < n && !r.bad; i++ {
		var v any
		switch r.byte() {
		case tagNil:
		case tagString:
			v = string(r.bytes(r.uvarint()))
		case tagBytes:
			v = append([]byte{}, r.bytes(r.uvarint())...)
		case tagFalse:
			v = false
		case tagTrue:
			v = true
		case tagInt:
			v = r.varint()
		case tagUint:
			v = r.uvarint()
		case tagFloat:
			if b := r.bytes(8); len(b) == 8 {
				v = math.Float64frombits(binary.BigEndian.Uint64(b))
			}
		case tagTime:
			sec, ns := r.varint(), r.uvarint()
			if ns >= 1e9 {
				return p, errBadPayload
			}
			v = time.Unix(sec, int64(ns)).UTC()
		default:
			return p, errBadPayload
		}
		p.cursor.Values = append(p.cursor.Values, v)
	}
	if r.bad || len(r.b) != 0 {
		return p, errBadPayload
	}
	p.cursor.Values = slices.Clip(p.cursor.Values)
	return p, nil
}

// scratch holds the buffers one seal or open works in; parsed values never
// point into them (strings and byte slices are copied).
type scratch struct {
	raw, out, plain []byte
	sum             [macLen]byte
	nonce           [12]byte
}

// scratchPool is a cache of scratch buffers, not configuration.
var scratchPool = sync.Pool{New: func() any {
	return &scratch{raw: make([]byte, 0, 256), out: make([]byte, 0, 384), plain: make([]byte, 0, 128)}
}}

// sealOptions say how to seal a token.
type sealOptions struct {
	encrypt bool
	maxLen  int // the longest token open accepts; 0 means no limit
}

// seal signs (and optionally encrypts) a payload into a token.
func (kr *Keyring) seal(p *payload, o sealOptions) (string, error) {
	k := kr.active
	sb := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sb)
	msg := sb.raw[:0]
	var flags byte
	if o.encrypt {
		flags |= flagEncrypted
	}
	msg = append(msg, tokenVersion, flags, byte(len(k.id)))
	msg = append(msg, k.id...)
	hdr := len(msg)
	var err error
	if !o.encrypt {
		if msg, err = appendPayload(msg, p); err != nil {
			return "", err
		}
	} else {
		plain, err := appendPayload(sb.plain[:0], p)
		if err != nil {
			return "", err
		}
		nonce := sb.nonce[:k.aead.NonceSize()]
		if _, err := rand.Read(nonce); err != nil {
			return "", fmt.Errorf("pagination: cursor nonce: %w", err)
		}
		msg = append(msg, nonce...)
		msg = k.aead.Seal(msg, nonce, plain, msg[:hdr])
		sb.plain = plain[:0]
	}
	msg = k.mac(msg, msg)
	sb.raw = msg[:0]
	if n := b64.EncodedLen(len(msg)); o.maxLen > 0 && n > o.maxLen {
		return "", fmt.Errorf("pagination: cursor of %d characters is longer than the %d accepted (WithMaxCursorLen): carry fewer or shorter sort values", n, o.maxLen)
	}
	out := b64.AppendEncode(sb.out[:0], msg)
	sb.out = out[:0]
	return string(out), nil
}

// openError says why a token was rejected.
type openError int

const (
	openMalformed openError = iota + 1
	openTampered
	openRetired
)

// open checks a token's size, encoding and MAC, in that order, and only
// then reads its content.
func (kr *Keyring) open(token string, maxLen int) (payload, openError) {
	return kr.openInto(token, maxLen, nil)
}

// openInto is open that parses the cursor values into vals (see
// parsePayloadInto).
func (kr *Keyring) openInto(token string, maxLen int, vals []any) (payload, openError) {
	if token == "" || len(token) > maxLen {
		return payload{}, openMalformed
	}
	sb := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sb)
	sb.out = append(sb.out[:0], token...)
	raw, err := b64.AppendDecode(sb.raw[:0], sb.out)
	if err != nil {
		return payload{}, openMalformed
	}
	sb.raw = raw[:0]
	if len(raw) > 0 && raw[0] == retiredVersion {
		return payload{}, openRetired
	}
	if len(raw) < 3+macLen || raw[0] != tokenVersion || raw[1]&^flagEncrypted != 0 {
		return payload{}, openMalformed
	}
	kl := int(raw[2])
	if kl == 0 || kl > maxKeyIDLen || len(raw) < 3+kl+macLen {
		return payload{}, openMalformed
	}
	k, ok := kr.byID[string(raw[3:3+kl])]
	if !ok {
		return payload{}, openRetired
	}
	body, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(k.mac(sb.sum[:0], body), sum) {
		return payload{}, openTampered
	}
	hdr := 3 + kl
	content := body[hdr:]
	if raw[1]&flagEncrypted != 0 {
		ns := k.aead.NonceSize()
		if len(content) < ns {
			return payload{}, openMalformed
		}
		content, err = k.aead.Open(sb.plain[:0], content[:ns], content[ns:], body[:hdr])
		if err != nil {
			return payload{}, openTampered
		}
	}
	p, err := parsePayloadInto(content, vals)
	if err != nil {
		return payload{}, openMalformed
	}
	return p, openError(0)
}
