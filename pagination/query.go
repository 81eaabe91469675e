package pagination

import (
	"net/url"
	"strings"
)

// eachParam calls fn for every key=value pair of a raw query, unescaped as
// url.ParseQuery does it (pairs with a ';' or a bad escape are skipped),
// in order, without building a map. Keys, which are short, are scanned
// byte by byte; values, which may be long cursors, with IndexByte. Only a
// key or value that holds a '%' or '+' is unescaped.
func eachParam(raw string, fn func(key, value string)) {
	for raw != "" {
		pair := raw
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			raw = ""
		}
		if pair == "" {
			continue
		}
		k, v, hasValue := pair, "", false
		semi, escKey := false, false
		for i := 0; i < len(pair); i++ {
			switch pair[i] {
			case '=':
				k, v, hasValue = pair[:i], pair[i+1:], true
			case ';':
				semi = true
			case '%', '+':
				escKey = true
			}
			if hasValue {
				break
			}
		}
		if semi || strings.IndexByte(v, ';') >= 0 {
			continue
		}
		if escKey {
			var ok bool
			if k, ok = unescape(k); !ok {
				continue
			}
		}
		if strings.IndexByte(v, '%') >= 0 || strings.IndexByte(v, '+') >= 0 {
			var ok bool
			if v, ok = unescape(v); !ok {
				continue
			}
		}
		fn(k, v)
	}
}

// unescape is url.QueryUnescape.
func unescape(s string) (string, bool) {
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
