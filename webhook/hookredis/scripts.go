package hookredis

import "github.com/redis/go-redis/v9"

// enqueue: KEYS msg, due, ep, seq; ARGV id, endpoint, type, payload,
// created, next.
var enqueueScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'endpoint', ARGV[2], 'type', ARGV[3], 'payload', ARGV[4], 'state', 0,
  'attempts', 0, 'failures', 0, 'created', ARGV[5], 'next', ARGV[6], 'seq', seq, 'token', '')
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
return 1
`)

// lease: KEYS due, disabled; ARGV prefix, now, until, token, ordered,
// window, park, skip...
var leaseScript = redis.NewScript(`
local now = tonumber(ARGV[2])
local cands = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[6]))
local skip = {}
for i = 8, #ARGV do skip[ARGV[i]] = true end
for _, id in ipairs(cands) do
  local mk = ARGV[1] .. 'm:' .. id
  local ep = redis.call('HGET', mk, 'endpoint')
  if not ep then
    redis.call('ZREM', KEYS[1], id)
  elseif not skip[ep] then
    if redis.call('SISMEMBER', KEYS[2], ep) == 1 then
      redis.call('ZADD', KEYS[1], now + tonumber(ARGV[7]), id)
    else
      local ok = true
      if ARGV[5] == '1' then
        local head = redis.call('ZRANGE', ARGV[1] .. 'ep:' .. ep, 0, 0)
        ok = head[1] == id
      end
      if ok then
        local f = redis.call('HMGET', mk, 'type', 'payload', 'attempts', 'failures', 'created', 'next')
        redis.call('HSET', mk, 'token', ARGV[4], 'next', ARGV[3])
        redis.call('ZADD', KEYS[1], ARGV[3], id)
        return {id, ep, f[1], f[2], f[3], f[4], f[5], f[6]}
      end
    end
  end
end
return false
`)

// finish: KEYS msg, due, attempts, disabled, dead; ARGV id, token,
// number, state, next, failures, attempt, disable, prefix, retention
// (ms), dead index entry. Returns 1 done, 0 repeated, -1 lease lost.
// A dead letter's entry goes in the dead index and the endpoint's, and
// in the message's "dead" field for Replay to take it out.
var finishScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'token', 'attempts', 'state', 'endpoint')
if not f[1] or f[1] ~= ARGV[2] then return -1 end
local n = tonumber(ARGV[3])
if tonumber(f[2]) == n then return 0 end
if f[3] ~= '0' or tonumber(f[2]) ~= n - 1 then return -1 end
redis.call('HSET', KEYS[1], 'attempts', n, 'state', ARGV[4], 'next', ARGV[5], 'failures', ARGV[6])
redis.call('RPUSH', KEYS[3], ARGV[7])
if ARGV[4] == '0' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', ARGV[9] .. 'ep:' .. f[4], ARGV[1])
end
if ARGV[8] == '1' then redis.call('SADD', KEYS[4], f[4]) end
if ARGV[4] == '2' then
  redis.call('HSET', KEYS[1], 'dead', ARGV[11])
  redis.call('ZADD', KEYS[5], 0, ARGV[11])
  redis.call('ZADD', KEYS[5] .. ':' .. f[4], 0, ARGV[11])
end
if ARGV[4] == '1' and tonumber(ARGV[10]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[10])
  redis.call('PEXPIRE', KEYS[3], ARGV[10])
end
return 1
`)

// release: KEYS msg, due; ARGV id, token, at. Returns 1 or 0 (lost).
var releaseScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'token', 'state')
if f[1] ~= ARGV[2] or f[2] ~= '0' then return 0 end
redis.call('HSET', KEYS[1], 'next', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`)

// replay: KEYS msg, due, dead; ARGV id, at, prefix. Returns 1 done, -1
// not found, -2 not dead.
var replayScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'state', 'endpoint', 'seq', 'dead')
if not f[1] then return -1 end
if f[1] == '0' then return 1 end
if f[1] ~= '2' then return -2 end
if f[4] then
  redis.call('ZREM', KEYS[3], f[4])
  redis.call('ZREM', KEYS[3] .. ':' .. f[2], f[4])
  redis.call('HDEL', KEYS[1], 'dead')
end
redis.call('HSET', KEYS[1], 'state', 0, 'next', ARGV[2], 'failures', 0, 'token', '')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', ARGV[3] .. 'ep:' .. f[2], f[3], ARGV[1])
return 1
`)

// setEndpoint: KEYS disabled, due, ep; ARGV endpoint, disabled, prefix.
// Re-enabling restores the due times of the endpoint's parked messages.
var setEndpointScript = redis.NewScript(`
if ARGV[2] == '1' then
  redis.call('SADD', KEYS[1], ARGV[1])
  return 1
end
redis.call('SREM', KEYS[1], ARGV[1])
for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local next = redis.call('HGET', ARGV[3] .. 'm:' .. id, 'next')
  if next then redis.call('ZADD', KEYS[2], next, id) end
end
return 1
`)

// deadLetters: KEYS index (dead or dead:<endpoint>); ARGV start (a lex
// range bound), limit, prefix, walk. Returns the fields of up to limit
// dead letters after start, in index order. An entry whose message is
// gone or no longer dead (the index outlived its message, which only a
// key deleted or evicted behind the store's back does) is removed;
// at most walk such entries a call.
var deadLettersScript = redis.NewScript(`
local start, limit, walk = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
local out = {}
while #out < limit do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], start, '+', 'LIMIT', 0, limit - #out)
  if #batch == 0 then break end
  for _, e in ipairs(batch) do
    start = '(' .. e
    local id = string.sub(e, 22)
    local f = redis.call('HMGET', ARGV[3] .. 'm:' .. id, 'endpoint', 'type', 'payload', 'attempts',
      'failures', 'created', 'next', 'state', 'dead')
    if f[8] == '2' and f[9] == e then
      table.insert(out, {id, f[1], f[2], f[3], f[4], f[5], f[6], f[7]})
    else
      redis.call('ZREM', KEYS[1], e)
      walk = walk - 1
      if walk <= 0 then return out end
    end
  end
end
return out
`)

// indexDead: KEYS msg, dead; ARGV entry, next (as read when the entry was
// made). Indexes a dead letter that is not in the index. Returns 1 if it
// did.
var indexDeadScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'state', 'next', 'dead', 'endpoint')
if f[1] ~= '2' or f[3] or f[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'dead', ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[2] .. ':' .. f[4], 0, ARGV[1])
return 1
`)
