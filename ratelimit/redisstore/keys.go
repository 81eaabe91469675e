package redisstore

import "strings"

// appendKey appends the Redis key of an item key: the prefix, the hash tag
// in braces, then the item key itself.
func (s *Store) appendKey(dst []byte, key string) []byte {
	dst = append(dst, s.cfg.prefix...)
	dst = append(dst, '{')
	dst = append(dst, s.cfg.hashTag(key)...)
	dst = append(dst, '}')
	return append(dst, key...)
}

// defaultHashTag is the caller part of a key made by the ratelimit
// package.
func defaultHashTag(key string) string {
	if i := strings.LastIndexByte(key, ':'); i >= 0 {
		return key[i+1:]
	}
	return key
}
