package pagination

import "net/url"

// eachParam calls fn for every key=value pair of a raw query, unescaped as
// url.ParseQuery does it (pairs with a ';' or a bad escape are skipped),
// in order, without building a map. Each pair is scanned once, and only a
// key or value that holds a '%' or '+' is unescaped.
func eachParam(raw string, fn func(key, value string)) {
	for len(raw) > 0 {
		eq, semi, escKey, escValue := -1, false, false, false
		i := 0
	scan:
		for ; i < len(raw); i++ {
			switch raw[i] {
			case '&':
				break scan
			case '=':
				if eq < 0 {
					eq = i
				}
			case ';':
				semi = true
			case '%', '+':
				if eq < 0 {
					escKey = true
				} else {
					escValue = true
				}
			}
		}
		pair := raw[:i]
		if i < len(raw) {
			i++ // the '&'
		}
		raw = raw[i:]
		if pair == "" || semi {
			continue
		}
		k, v := pair, ""
		if eq >= 0 {
			k, v = pair[:eq], pair[eq+1:]
		}
		if escKey {
			var ok bool
			if k, ok = unescape(k); !ok {
				continue
			}
		}
		if escValue {
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
