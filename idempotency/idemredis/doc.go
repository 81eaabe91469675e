// Package idemredis keeps idempotency records in Redis, so that every
// replica of a service sees the same Idempotency-Key state.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//	store := idemredis.New(rdb, idemredis.WithPrefix("billing:idem:"))
//	mux.Handle("POST /orders", idempotency.New(store)(createOrder))
//
// # Records
//
// The record of key lives in the Redis hash prefix+key (see [Store.Key])
// with the fields st ("p" in progress, "c" completed), fp (the request
// fingerprint), owner (the claim's owner token) and resp (the response
// bytes, completed records only). Its expiry is set with PEXPIRE: the lease
// end while the request runs, the retention end once completed. Only the
// Redis server's clock decides expiry, so replicas with skewed clocks agree,
// and a record whose lease ran out (its process crashed) has simply gone:
// the next request with the key runs.
//
// # Round trips
//
// Each method is one Lua script run with EVALSHA, hence atomic and one round
// trip: a new key costs two (Claim, then Complete), a replay, a 409 or a 422
// one (Claim). If the server has lost the script (restart, SCRIPT FLUSH)
// go-redis resends it once with EVAL. The claim script is
//
//	local r = redis.call('HMGET', KEYS[1], 'st', 'fp', 'resp')
//	if not r[1] then                      -- no record (or its lease ran out)
//	  redis.call('DEL', KEYS[1])
//	  redis.call('HSET', KEYS[1], 'st', 'p', 'fp', ARGV[1], 'owner', ARGV[2])
//	  redis.call('PEXPIRE', KEYS[1], ARGV[3]) -- lease, milliseconds
//	  return {1}                            -- acquired
//	end
//	if r[2] ~= ARGV[1] then return {4} end  -- mismatch
//	if r[1] == 'p' then return {2, redis.call('PTTL', KEYS[1])} end -- in progress
//	return {3, r[3] or ''}                  -- completed: the response
//
// Complete, Extend and Release each run a script that first checks that the
// record is in progress and held by the caller's owner token, and otherwise
// change nothing and report [idempotency.ErrNotOwner]; Complete then sets
// st and resp and PEXPIREs the record to the retention, Extend PEXPIREs it
// to the new lease, Release deletes it.
//
// # Deadlines
//
// Every call passes its context to go-redis. go-redis applies a context's
// deadline to the network only if the client was created with
// ContextTimeoutEnabled: true; otherwise its ReadTimeout and WriteTimeout
// bound each call.
package idemredis
