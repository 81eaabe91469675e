package rateredis

// appendKey appends the Redis key of an item key: the prefix, then the
// item key. A [ratelimit.Limiter] puts the caller part of its keys in
// braces, a Redis Cluster hash tag, so that all policies of one caller
// share a slot; the prefix holds no braces, so that tag is the one Redis
// sees.
func (s *Store) appendKey(dst []byte, key string) []byte {
	dst = append(dst, s.cfg.prefix...)
	return append(dst, key...)
}
