// Package idemredis keeps idempotency records in Redis, so that every
// replica of a service sees the same Idempotency-Key state.
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
//		"github.com/apikit-go/apikit/idempotency"
//		"github.com/apikit-go/apikit/idempotency/idemredis"
//	)
//
//	func main() {
//		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//		store, err := idemredis.New(rdb, idemredis.WithPrefix("billing:idem:"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		m, err := idempotency.New(store) // every replica sees the same keys
//		if err != nil {
//			log.Fatal(err)
//		}
//		http.Handle("POST /orders", m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			w.WriteHeader(http.StatusCreated)
//			io.WriteString(w, "created\n")
//		})))
//		log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
//	}
//
// # Records
//
// The record of key lives in a Redis hash (see [Store.Key]) with the fields
// st ("p" in progress, "c" completed), fp (the request fingerprint), owner
// (the claim's owner token, while in progress) and resp (the response
// bytes, completed records only). Its expiry is set with PEXPIRE: the lease
// end while the request runs, the retention end once completed. Only the
// Redis server's clock decides expiry, so replicas with skewed clocks agree,
// and a record whose lease ran out (its process crashed) has simply gone:
// the next request with the key runs.
//
// A key of the middleware's form, scope/id, is stored as
// prefix+"{scope}/id", and its scope has a sorted set prefix+"{scope}"
// listing the scope's records by expiry (server time), in the same cluster
// slot. A scope may hold at most [WithMaxScopeEntries] records: a new key
// beyond it evicts the scope's record that expires first among the first
// 16 that are not in progress, or is refused with
// [idempotency.ErrScopeFull], so one caller cannot fill Redis for the
// others. Keys without "/" have no scope and no bound.
//
// # Round trips
//
// Each method is one Lua script run with EVALSHA, hence atomic and one round
// trip: a new key costs two (Claim, then Complete), a replay, a 409 or a 422
// one (Claim). If the server has lost the script (restart, SCRIPT FLUSH)
// go-redis resends it once with EVAL. The claim script, leaving out the
// scope bound, is
//
//	local r = redis.call('HMGET', KEYS[1], 'st', 'fp', 'resp', 'owner')
//	if r[1] then
//	  if r[2] ~= ARGV[1] then return {4} end      -- mismatch
//	  if r[1] == 'p' then
//	    if r[4] == ARGV[2] then return {1} end    -- the same claim again (lease renewed)
//	    return {2, redis.call('PTTL', KEYS[1])}   -- in progress
//	  end
//	  return {3, r[3] or ''}                      -- completed: the response
//	end
//	redis.call('HSET', KEYS[1], 'st', 'p', 'fp', ARGV[1], 'owner', ARGV[2])
//	redis.call('PEXPIRE', KEYS[1], ARGV[3])       -- lease, milliseconds
//	return {1}                                    -- acquired
//
// Complete, Extend and Release each run a script that first checks that the
// record is in progress and held by the caller's owner token, and otherwise
// change nothing and report [idempotency.ErrNotOwner]; Complete then sets
// st and resp and PEXPIREs the record to the retention, Extend PEXPIREs it
// to the new lease, Release deletes it.
//
// # Repeated calls
//
// go-redis resends a command after a read timeout (MaxRetries, 3 by
// default), so a script may run twice. Every script is safe to repeat: a
// claim resent by its owner is acquired again (before, it answered "in
// progress" to its own owner, and the key's first request got 409 while
// the key stayed blocked for the lease); Complete, Extend and Release sent
// twice change nothing the second time.
//
// # Deadlines
//
// Every call runs under the store's timeout ([WithTimeout], 2 seconds by
// default) and its context. go-redis applies a context's deadline to the
// network only if the client was created with ContextTimeoutEnabled: true;
// otherwise its ReadTimeout and WriteTimeout bound each call. The
// middleware also stops waiting for a claim at its own store timeout, even
// if the client does not.
//
// # Persistence
//
// Records are only as durable as Redis makes them; see the idempotency
// package documentation. For the once-only guarantee across a Redis
// restart, run it with appendonly yes (appendfsync everysec or always) and
// maxmemory-policy noeviction.
package idemredis
