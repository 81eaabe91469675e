// Package jsonw appends JSON tokens to byte slices without reflection.
//
// Strings are escaped as encoding/json does with SetEscapeHTML(false):
// '<', '>' and '&' stay literal (JSON needs no HTML escaping), control
// bytes, '"' and '\' are escaped, U+2028 and U+2029 are escaped (so the
// output is also valid JavaScript), and invalid UTF-8 is replaced by U+FFFD.
package jsonw

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// safe reports the ASCII bytes that need no escaping.
var safe = func() (t [256]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		t[i] = true
	}
	t['"'], t['\\'] = false, false
	return t
}()

// String appends s as a quoted JSON string. Runs of bytes that need no
// escaping are copied at once.
func String(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	i := 0
	for i < len(s) {
		// Fast path: skip a run of safe ASCII bytes, eight at a time when
		// none of them is special.
		for i+8 <= len(s) && safe[s[i]] && safe[s[i+1]] && safe[s[i+2]] && safe[s[i+3]] &&
			safe[s[i+4]] && safe[s[i+5]] && safe[s[i+6]] && safe[s[i+7]] {
			i += 8
		}
		if i >= len(s) {
			break
		}
		b := s[i]
		if safe[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Key appends s as an object key followed by a colon.
func Key(dst []byte, s string) []byte {
	return append(String(dst, s), ':')
}

// Int appends n.
func Int(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }

// Bool appends true or false.
func Bool(dst []byte, b bool) []byte { return strconv.AppendBool(dst, b) }

// Value appends v encoded by encoding/json without HTML escaping, with
// fast paths for the common scalar types.
func Value(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return String(dst, x), nil
	case bool:
		return Bool(dst, x), nil
	case int:
		return Int(dst, int64(x)), nil
	case int64:
		return Int(dst, x), nil
	}
	return Marshal(dst, v)
}

// Marshal appends v as json.Marshal would, but without HTML escaping and
// without the trailing newline of json.Encoder.
func Marshal(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	out := buf.Bytes()
	return out[:len(out)-1], nil
}

// Cut returns s cut to at most n bytes on a UTF-8 boundary, with "…"
// appended when anything was cut: how much of a client-supplied value an
// error may echo.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// A rune is at most utf8.UTFMax bytes: step back at most that far to
	// its start. Bytes that start no rune (invalid UTF-8, which the
	// writer replaces with U+FFFD) are cut at n.
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	if !utf8.RuneStart(s[i]) {
		i = n
	}
	return s[:i] + "…"
}
