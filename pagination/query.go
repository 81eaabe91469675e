package pagination

import (
	"net/url"
	"strings"
)

// eachParam calls fn for every key=value pair of a raw query, unescaped as
// url.ParseQuery does it (pairs with a ';' or a bad escape are skipped),
// in order, without building a map. Pairs whose key does not unescape to
// something want accepts are not unescaped at all.
func eachParam(raw string, fn func(key, value string)) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, ok := unescape(k)
		if !ok {
			continue
		}
		if v, ok = unescape(v); ok {
			fn(k, v)
		}
	}
}

// unescape is url.QueryUnescape that does not allocate when there is
// nothing to unescape.
func unescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}
