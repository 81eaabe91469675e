package idemredis

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
//
// A scoped key (scope/id) also has an entry in its scope's sorted set:
// member the record's Redis key, score the record's expiry in
// milliseconds of the server's clock. The set bounds the records one scope
// holds. Record and set share the hash tag {scope}, so they live in one
// cluster slot.

// claimScript: KEYS[1] record, KEYS[2] scope set (absent when unscoped);
// ARGV[1] fingerprint, ARGV[2] owner, ARGV[3] lease in milliseconds,
// ARGV[4] the most records a scope may hold. Returns {1} acquired, {2,
// pttl} in progress, {3, response} completed, {4} fingerprint mismatch, {5}
// scope full. A claim repeated by its owner (a client retry after a lost
// reply) is acquired again.
const claimScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'fp', 'resp', 'owner')
if r[1] then
  if r[2] ~= ARGV[1] then
    return {4}
  end
  if r[1] == 'p' then
    if r[4] == ARGV[2] then
      if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
      end
      return {1}
    end
    return {2, redis.call('PTTL', KEYS[1])}
  end
  return {3, r[3] or ''}
end
if KEYS[2] then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
    -- The scope is at its bound: its oldest completed record makes room.
    local evicted = false
    for _, k in ipairs(redis.call('ZRANGE', KEYS[2], 0, 15)) do
      if redis.call('HGET', k, 'st') ~= 'p' then
        redis.call('DEL', k)
        redis.call('ZREM', KEYS[2], k)
        evicted = true
        break
      end
    end
    if not evicted then
      return {5}
    end
  end
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), KEYS[1])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
end
redis.call('HSET', KEYS[1], 'st', 'p', 'fp', ARGV[1], 'owner', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1}
`

// completeScript: KEYS[1] record, KEYS[2] scope set if scoped; ARGV[1] owner,
// ARGV[2] response, ARGV[3] retention in milliseconds. Returns 1 if
// stored, 0 if owner no longer holds an in-progress record.
const completeScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'owner')
if r[1] ~= 'p' or r[2] ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'st', 'c', 'resp', ARGV[2])
redis.call('HDEL', KEYS[1], 'owner')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if KEYS[2] then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), KEYS[1])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[3]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
end
return 1
`

// extendScript: KEYS[1] record, KEYS[2] scope set if scoped; ARGV[1] owner,
// ARGV[2] lease in milliseconds. Returns 1 if renewed, 0 otherwise.
const extendScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'owner')
if r[1] ~= 'p' or r[2] ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if KEYS[2] then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), KEYS[1])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[2])
  end
end
return 1
`

// releaseScript: KEYS[1] record, KEYS[2] scope set if scoped; ARGV[1] owner.
// Returns 1 if deleted, 0 otherwise.
const releaseScript = `
local r = redis.call('HMGET', KEYS[1], 'st', 'owner')
if r[1] ~= 'p' or r[2] ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
if KEYS[2] then
  redis.call('ZREM', KEYS[2], KEYS[1])
end
return 1
`
