// Package rateredis keeps ratelimit's GCRA state in Redis, so that every
// replica of a service enforces one shared limit.
//
//	package main
//
//	import (
//		"io"
//		"log"
//		"net/http"
//
//		"github.com/redis/go-redis/v9"
//
//		"github.com/apikit-go/apikit/ratelimit"
//		"github.com/apikit-go/apikit/ratelimit/rateredis"
//	)
//
//	func main() {
//		client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//		shared, err := rateredis.New(client, rateredis.WithPrefix("myapi:rl:"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		limiter, err := ratelimit.New(shared, []ratelimit.Policy{ratelimit.PerMinute(100)}) // one limit for every replica
//		if err != nil {
//			log.Fatal(err)
//		}
//		api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", limiter.Handler(api)))
//	}
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
// The Redis key of a limiter key is the prefix ([WithPrefix], default
// "ratelimit:") followed by the limiter's key, which puts the caller in
// braces, for example "ratelimit:hourly:{acme}" for the "hourly" policy
// of caller "acme". The braces are a Redis Cluster hash tag: all policies
// of one caller hash to one slot, as the script requires, and callers
// spread over the cluster. Items given to [Store.Take] by other code must
// likewise share a hash tag when a decision names several keys.
//
// # Stored values
//
// A key's value is its TAT in 12 bytes: a big-endian int64 of Unix seconds
// followed by a big-endian int32 of the nanoseconds beyond them (cheaper
// for the script than a decimal). Values in the decimal format of earlier
// versions are still read.
//
// # Concurrency slots
//
// The slots of [ratelimit.WithConcurrency] of one caller are a sorted set
// under the limiter's key (for example "ratelimit:concurrency:{acme}"):
// one random token per request in flight, scored by the end of its lease
// on the server's clock. [Store.Acquire] drops ended leases and adds a
// token if fewer than the limit remain, [Store.Release] removes it, and
// [Store.Renew], which the limiter calls while the handler runs, extends
// a token still there and never adds one. Each is one round trip, and the
// key expires when its leases have ended.
//
// # When Redis fails
//
// [New] does no I/O, so a service starts while Redis is down. Every
// decision has a deadline ([WithTimeout], 500 ms by default). When Redis
// fails or misses it, Take returns a 503 problem error and the limiter
// decides what happens: its local fallback decides with a share of the
// limit ([ratelimit.WithFallback]), or the request gets a 503 (the
// default) or is admitted ([ratelimit.WithFailOpen]). After three failures
// in a row the store does not ask Redis again for a short cooldown
// ([WithCooldown]), so a Redis that hangs costs a few deadlines, not one
// per request.
//
// # Bursts and the connection pool
//
// Decisions made at the same moment share round trips: at most four
// batches are on their way to Redis at once, and the decisions that arrive
// meanwhile go together in the next (a pipeline of script calls). A burst
// of any size therefore needs at most four connections per store. Give the
// client MinIdleConns: 4, so that a burst after a quiet period does not
// wait for new connections to be dialed (dials are slow on a busy
// machine), and ContextTimeoutEnabled, so that the deadline reaches the
// socket. go-redis's default pool size (10 per CPU) is ample.
//
// Usage:
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true, MinIdleConns: 4})
//	store, err := rateredis.New(client)
//	if err != nil {
//		return err
//	}
//	local, err := ratelimit.NewMemoryStore()
//	if err != nil {
//		return err
//	}
//	defer local.Close()
//	lim, err := ratelimit.New(store, []ratelimit.Policy{ratelimit.PerMinute(600)},
//		ratelimit.WithKey(partnerID), ratelimit.WithFallback(local, 3))
//	if err != nil {
//		return err
//	}
//	handler := lim.Handler(mux)
package rateredis
