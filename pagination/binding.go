package pagination

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
)

// Domain tags of the two binding digests: each digest input starts with
// its own byte, so that a scope can never be read as a filter or back.
const (
	tagScopeDigest  = 's'
	tagFilterDigest = 'f'
)

// maxBoundValues is how many bound parameter values binding collects in
// one pass over the query; a request with more takes a slower path.
const maxBoundValues = 16

// boundValue is one value of a bound query parameter.
type boundValue struct {
	name  int // index in Paginator.bind
	value string
}

// binding digests what a cursor made for r is bound to: the route and
// the caller's scope, and the values of the bound query parameters, each
// as a length-prefixed field so that no two inputs share an encoding. The
// inputs are short enough that each digest is usually one SHA-256 block.
func (p *Paginator) binding(r *http.Request) binding {
	var b binding
	var buf [256]byte
	m := append(buf[:0], tagScopeDigest)
	m = appendField(m, r.URL.Path)
	if p.scope != nil {
		m = appendField(m, p.scope(r))
	}
	s := sha256.Sum256(m)
	copy(b.scope[:], s[:])
	f := sha256.Sum256(p.appendFilter(append(buf[:0], tagFilterDigest), r.URL.RawQuery))
	copy(b.filter[:], f[:])
	return b
}

// appendFilter appends, for each bound parameter in order, its name, then
// 1 and the value for each of its values in query order, then 0. The query
// is scanned once; a query with more than maxBoundValues bound values is
// scanned once per bound parameter instead.
func (p *Paginator) appendFilter(m []byte, rawQuery string) []byte {
	if len(p.bind) == 0 {
		return m
	}
	var found [maxBoundValues]boundValue
	n, overflow := 0, false
	eachParam(rawQuery, func(k, v string) {
		for i, name := range p.bind {
			if k != name {
				continue
			}
			if n == len(found) {
				overflow = true
				return
			}
			found[n] = boundValue{i, v}
			n++
		}
	})
	for i, name := range p.bind {
		m = appendField(m, name)
		if overflow {
			eachParam(rawQuery, func(k, v string) {
				if k == name {
					m = append(m, 1)
					m = appendField(m, v)
				}
			})
		} else {
			for _, bv := range found[:n] {
				if bv.name == i {
					m = append(m, 1)
					m = appendField(m, bv.value)
				}
			}
		}
		m = append(m, 0)
	}
	return m
}

func appendField(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}
