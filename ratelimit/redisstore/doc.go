// Package redisstore keeps ratelimit's GCRA state in Redis, so that every
// replica of a service enforces one shared limit.
//
// A [Store] is a [ratelimit.Store]: give it to [ratelimit.New]. Each
// decision is one round trip: a Lua script, loaded lazily with EVALSHA
// (and sent again with EVAL when the server lost it, after SCRIPT FLUSH or
// a restart), that reads the server's clock (TIME, so replicas with skewed
// clocks still agree), decides every policy of the request with GCRA and
// writes the new theoretical arrival times only when all of them admit.
// Each key written gets a TTL equal to its distance from now (at least
// 1 ms): an idle caller costs nothing. The script needs Redis 5 or later
// (effects replication; the default since Redis 5, the only mode in 7).
//
// # Keys and Redis Cluster
//
// The Redis key of a limiter key is
//
//	<prefix>{<caller>}<limiter key>
//
// for example "ratelimit:{acme}hourly:acme" for the "hourly" policy of
// caller "acme". The prefix ([WithPrefix], default "ratelimit:") keeps the
// keys apart from the rest of the database. The braces hold a Redis Cluster
// hash tag: all policies of one caller hash to one slot, as the script
// requires, and callers spread over the cluster. The tag is chosen by
// [WithHashTag]; the default, [CallerTag](""), reads the caller from the
// keys of a [ratelimit.Limiter] made without [ratelimit.KeyPrefix].
//
// # Stored values
//
// A key's value is its TAT in 12 bytes: a big-endian int64 of Unix seconds
// followed by a big-endian int32 of the nanoseconds beyond them (cheaper
// for the script than a decimal). Versions before this format stored a
// decimal count of Unix nanoseconds; such values are still read, so limits
// carry over an upgrade. While older and newer versions run side by side,
// the older ones read a 12-byte value as no value: limits are looser, never
// stricter, until every instance is upgraded.
//
// # When Redis fails
//
// [New] does no I/O, so a service starts while Redis is down. Every
// decision has a deadline ([WithTimeout], 100 ms by default). When Redis
// fails or misses it, the store either returns a 503 problem error, and
// [ratelimit.Middleware] applies its failure policy ([ratelimit.FailClosed]
// by default: 503 with Retry-After; or [ratelimit.FailOpen]), or, with
// [WithFallback], decides with a local in-process store. After three
// failures in a row the store does not ask Redis again for a short
// cooldown ([WithCooldown]), so a Redis that hangs costs a few deadlines,
// not one per request.
//
// Usage:
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//	local := ratelimit.NewMemoryStore()
//	defer local.Close()
//	store, err := redisstore.New(client, redisstore.WithFallback(local))
//	if err != nil {
//		return err
//	}
//	lim := ratelimit.MustNew(store, []ratelimit.Policy{ratelimit.PerMinute(600)})
//	handler := ratelimit.Middleware(lim, ratelimit.Key(partnerID))(mux)
package redisstore
