package redisstore

// The record of a key is a Redis hash with the fields
//
//	st    "p" (in progress) or "c" (completed)
//	fp    the request fingerprint
//	owner the owner token of the claim that wrote it
//	resp  the stored response (completed records only)
//
// Its expiry is the lease end while in progress and the retention end once
// completed, set with PEXPIRE so that only the Redis server's clock decides
// when a record is gone. An expired lease therefore needs no special case:
// the record no longer exists.

// claimScript: KEYS[1] record; ARGV[1] fingerprint, ARGV[2] owner,
// ARGV[3] lease in milliseconds. Returns {1} acquired, {2, pttl} in
// progress, {3, response} completed, {4} fingerprint mismatch.
const claimScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'fp', 'resp')
if not r[1] then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'st', 'p', 'fp', ARGV[1], 'owner', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {1}
end
if r[2] ~= ARGV[1] then
  return {4}
end
if r[1] == 'p' then
  return {2, redis.call('PTTL', KEYS[1])}
end
return {3, r[3] or ''}
`

// completeScript: KEYS[1] record; ARGV[1] owner, ARGV[2] response,
// ARGV[3] retention in milliseconds. Returns 1 if stored, 0 if owner no
// longer holds an in-progress record.
const completeScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'owner')
if r[1] ~= 'p' or r[2] ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'st', 'c', 'resp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`

// extendScript: KEYS[1] record; ARGV[1] owner, ARGV[2] lease in
// milliseconds. Returns 1 if renewed, 0 otherwise.
const extendScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'owner')
if r[1] ~= 'p' or r[2] ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`

// releaseScript: KEYS[1] record; ARGV[1] owner. Returns 1 if deleted, 0
// otherwise.
const releaseScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'owner')
if r[1] ~= 'p' or r[2] ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
`
