package envelope

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/apikit-go/apikit/internal/jsonw"
	"github.com/apikit-go/apikit/problem"
)

// strictCheck refuses what encoding/json accepts silently although a
// strict decoder must not: an object member that appears twice (the last
// one would win) and invalid UTF-8 in a string (it would become U+FFFD).
// It names the member by its path ("items[2].sku", "$" for the root) and
// returns nil for anything else, malformed JSON included: the decoder
// reports that with its byte offset.
//
// One pass over the body; no allocation for bodies that nest at most 16
// deep with at most 32 keys open at once, and no object of more than 16
// members (those get a set, so a flood of members costs linear time).
func strictCheck(body []byte) *problem.Problem {
	checkUTF8 := !utf8.Valid(body)
	s, _ := scanners.Get().(*scanner)
	if s == nil {
		s = &scanner{frames: make([]frame, 0, 16), keys: make([]string, 0, 32)}
	}
	s.body, s.i, s.checkUTF8 = body, 0, checkUTF8
	s.value()
	found := s.found
	// Drop every reference into body before the scanner is reused.
	clear(s.keys[:cap(s.keys)])
	clear(s.frames[:cap(s.frames)])
	s.body, s.found, s.frames, s.keys = nil, nil, s.frames[:0], s.keys[:0]
	if cap(s.frames) <= 64 && cap(s.keys) <= 256 {
		scanners.Put(s)
	}
	return found
}

// scanners reuses scanners and their stacks between requests; like
// encoding/json's encoder pool it is a cache, not configuration.
var scanners sync.Pool

type frame struct {
	object bool
	keys   int                 // index of the object's first key in scanner.keys
	index  int                 // the current array index
	set    map[string]struct{} // the keys of an object with many members
}

type scanner struct {
	body      []byte
	i         int
	checkUTF8 bool
	frames    []frame
	keys      []string // the keys of the open objects, innermost last
	found     *problem.Problem
}

const (
	maxLinearKeys = 16
	// maxDepth bounds the scanner's recursion at encoding/json's own
	// nesting limit.
	maxDepth = 10000
)

func (s *scanner) ws() {
	for s.i < len(s.body) {
		switch s.body[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// value scans one JSON value; false stops the scan (a finding or
// malformed JSON).
func (s *scanner) value() bool {
	s.ws()
	if s.i >= len(s.body) {
		return false
	}
	switch s.body[s.i] {
	case '{', '[':
		if len(s.frames) >= maxDepth {
			return false // encoding/json refuses this depth itself
		}
		if s.body[s.i] == '{' {
			return s.object()
		}
		return s.array()
	case '"':
		_, _, ok := s.str()
		return ok
	default:
		for s.i < len(s.body) {
			switch s.body[s.i] {
			case ',', ']', '}', ' ', '\t', '\r', '\n':
				return true
			}
			s.i++
		}
		return true
	}
}

// str scans a string starting at its quote and returns its raw contents
// and whether it has escapes.
func (s *scanner) str() (raw []byte, escaped, ok bool) {
	s.i++ // the opening quote
	start := s.i
	for s.i < len(s.body) {
		c := s.body[s.i]
		switch {
		case c == '"':
			raw = s.body[start:s.i]
			s.i++
			if s.checkUTF8 && !utf8.Valid(raw) {
				s.found = problem.InvalidRequest.New("The request body is not valid UTF-8").
					WithFields(problem.FieldError{Field: s.path("", true), Message: "is not valid UTF-8", Code: problem.FieldInvalidFormat})
				return raw, escaped, false
			}
			return raw, escaped, true
		case c == '\\':
			escaped = true
			s.i += 2
		default:
			s.i++
		}
	}
	return nil, false, false
}

func (s *scanner) object() bool {
	s.i++ // {
	s.frames = append(s.frames, frame{object: true, keys: len(s.keys)})
	f := len(s.frames) - 1
	s.ws()
	if s.i < len(s.body) && s.body[s.i] == '}' {
		s.i++
		s.pop()
		return true
	}
	for {
		s.ws()
		if s.i >= len(s.body) || s.body[s.i] != '"' {
			return false
		}
		raw, escaped, ok := s.str()
		if !ok {
			// An invalid key: name the object, with the key as far as it
			// is readable.
			if s.found != nil {
				s.found.Fields[0].Field = s.path(string(raw), false)
			}
			return false
		}
		var key string
		if len(raw) > 0 {
			// The body is not changed while the scan runs and the keys do
			// not outlive it: no copy.
			key = unsafe.String(&raw[0], len(raw))
		}
		if escaped {
			var k string
			if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k) != nil {
				return false
			}
			key = k
		}
		if s.seen(f, key) {
			s.found = problem.InvalidRequest.New("The request body has a member that appears more than once").
				WithFields(problem.FieldError{Field: s.path(key, false), Message: "appears more than once", Code: problem.FieldDuplicateField})
			return false
		}
		s.ws()
		if s.i >= len(s.body) || s.body[s.i] != ':' {
			return false
		}
		s.i++
		if !s.value() {
			return false
		}
		s.ws()
		if s.i >= len(s.body) {
			return false
		}
		switch s.body[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			s.pop()
			return true
		default:
			return false
		}
	}
}

// seen records key in frame f and reports whether it was there already.
func (s *scanner) seen(f int, key string) bool {
	fr := &s.frames[f]
	if fr.set != nil {
		if _, dup := fr.set[key]; dup {
			return true
		}
		fr.set[key] = struct{}{}
		s.keys[len(s.keys)-1] = key // the current key, for paths
		return false
	}
	own := s.keys[fr.keys:]
	for _, k := range own {
		if k == key {
			return true
		}
	}
	if len(own) >= maxLinearKeys {
		fr.set = make(map[string]struct{}, 2*maxLinearKeys)
		for _, k := range own {
			fr.set[k] = struct{}{}
		}
		fr.set[key] = struct{}{}
		s.keys = append(s.keys[:fr.keys], key) // keep only the current key
		return false
	}
	s.keys = append(s.keys, key)
	return false
}

func (s *scanner) array() bool {
	s.i++ // [
	s.frames = append(s.frames, frame{})
	f := len(s.frames) - 1
	s.ws()
	if s.i < len(s.body) && s.body[s.i] == ']' {
		s.i++
		s.pop()
		return true
	}
	for {
		if !s.value() {
			return false
		}
		s.ws()
		if s.i >= len(s.body) {
			return false
		}
		switch s.body[s.i] {
		case ',':
			s.i++
			s.frames[f].index++
		case ']':
			s.i++
			s.pop()
			return true
		default:
			return false
		}
	}
}

func (s *scanner) pop() {
	fr := s.frames[len(s.frames)-1]
	if fr.object {
		s.keys = s.keys[:fr.keys]
	}
	s.frames = s.frames[:len(s.frames)-1]
}

// path names the current position: the open objects' current keys and
// the open arrays' indexes, then last. With innermost false the innermost
// object's current key is left out (last is a key of that object). The
// path is cut to a bounded length.
func (s *scanner) path(last string, innermost bool) string {
	var b strings.Builder
	for i, fr := range s.frames {
		if !fr.object {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(fr.index))
			b.WriteByte(']')
			continue
		}
		if i == len(s.frames)-1 && !innermost {
			break
		}
		end := len(s.keys)
		for j := i + 1; j < len(s.frames); j++ {
			if s.frames[j].object {
				end = s.frames[j].keys
				break
			}
		}
		if end > fr.keys {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.keys[end-1])
		}
	}
	if last != "" {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(last)
	}
	if b.Len() == 0 {
		return "$"
	}
	return jsonw.Cut(b.String(), maxField)
}
