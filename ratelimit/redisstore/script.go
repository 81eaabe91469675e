package redisstore

// gcraScript decides every item of one decision atomically on the server's
// clock and writes the new TATs only when all items admit.
//
// KEYS[i] is the TAT key of item i. ARGV[1] holds, for each item in order,
// its increment (cost*interval) and its tolerance in nanoseconds, as
// non-negative decimal integers separated by single spaces.
//
// Redis Lua numbers are doubles, which cannot hold Unix nanoseconds
// exactly, so every instant is kept as a pair (seconds, nanoseconds) with
// 0 <= nanoseconds < 1e9; sums and comparisons on pairs are exact.
//
// A TAT is stored as a decimal count of Unix nanoseconds, with a TTL (PX)
// of its distance from now rounded up to the millisecond: the key
// disappears when it would be equal to a new key anyway.
//
// The reply is one string: "now_s now_ns" followed, for each item, by
// " allowed tat_s tat_ns" (allowed is 1 or 0).
const gcraScript = `
if redis.replicate_commands then redis.replicate_commands() end
local E = 1000000000
local function split(v)
  local l = #v
  if l > 9 then
    return tonumber(string.sub(v, 1, l - 9)), tonumber(string.sub(v, l - 8))
  end
  return 0, tonumber(v)
end
local t = redis.call('TIME')
local now_s, now_n = tonumber(t[1]), tonumber(t[2]) * 1000
local tat_s, tat_n, new_s, new_n, ok = {}, {}, {}, {}, {}
local all = true
local i = 0
for a, b in string.gmatch(ARGV[1] or '', '(%d+) (%d+)') do
  i = i + 1
  local s, n = now_s, now_n
  local v = redis.call('GET', KEYS[i])
  if v and #v <= 19 and string.find(v, '^%d+$') then
    local vs, vn = split(v)
    if vs > s or (vs == s and vn > n) then s, n = vs, vn end
  end
  tat_s[i], tat_n[i] = s, n
  local ns, nn = split(a)
  ns, nn = s + ns, n + nn
  if nn >= E then ns, nn = ns + 1, nn - E end
  local ls, ln = split(b)
  ls, ln = now_s + ls, now_n + ln
  if ln >= E then ls, ln = ls + 1, ln - E end
  if ns < ls or (ns == ls and nn <= ln) then
    ok[i], new_s[i], new_n[i] = 1, ns, nn
  else
    ok[i] = 0
    all = false
  end
end
if i ~= #KEYS then
  return redis.error_reply('ERR redisstore: ' .. #KEYS .. ' keys but ' .. i .. ' items')
end
local out = {string.format('%d %d', now_s, now_n)}
for k = 1, i do
  local s, n = tat_s[k], tat_n[k]
  if all and (new_s[k] ~= s or new_n[k] ~= n) then
    s, n = new_s[k], new_n[k]
    local ds, dn = s - now_s, n - now_n
    if dn < 0 then ds, dn = ds - 1, dn + E end
    local px = ds * 1000 + math.ceil(dn / 1000000)
    if px < 1 then px = 1 end
    redis.call('SET', KEYS[k], string.format('%d%09d', s, n), 'PX', px)
  end
  out[k + 1] = string.format('%d %d %d', ok[k], s, n)
end
return table.concat(out, ' ')
`
