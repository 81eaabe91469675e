package redisstore

import "strings"

// appendKey appends the Redis key of an item key: the prefix, the hash tag
// in braces, then the item key itself. The tag only chooses the hash slot
// on Redis Cluster; the item key that follows keeps keys distinct, so a
// tag may be lossy.
func (s *Store) appendKey(dst []byte, key string) []byte {
	dst = append(dst, s.cfg.prefix...)
	dst = append(dst, '{')
	n := len(dst)
	for _, c := range []byte(s.cfg.hashTag(key)) {
		if c != '}' { // '}' would end the tag early
			dst = append(dst, c)
		}
	}
	if len(dst) == n {
		dst = append(dst, '_') // "{}" would hash the whole key
	}
	dst = append(dst, '}')
	return append(dst, key...)
}

// CallerTag returns the hash-tag function for the keys of a
// [ratelimit.Limiter] made with [ratelimit.KeyPrefix](limiterPrefix) (""
// without that option). Such a limiter stores limiterPrefix + policy name
// + ":" + caller key; the tag is the caller key, so every policy of one
// caller lands in one Redis Cluster slot while callers spread over all
// slots. A key that does not have that form is its own tag.
func CallerTag(limiterPrefix string) func(key string) string {
	return func(key string) string {
		rest, ok := strings.CutPrefix(key, limiterPrefix)
		if !ok {
			return key
		}
		if _, caller, ok := strings.Cut(rest, ":"); ok {
			return caller
		}
		return key
	}
}
