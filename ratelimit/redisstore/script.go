package redisstore

// gcraScript decides every item of one decision atomically on the server's
// clock and writes the new TATs only when all items admit.
//
// KEYS[i] is the TAT key of item i. ARGV[4i-3] and ARGV[4i-2] are item i's
// increment (cost*interval) and ARGV[4i-1] and ARGV[4i] its tolerance, each
// as whole seconds and the nanoseconds beyond them (0 <= ns < 1e9).
//
// Redis Lua numbers are doubles, which cannot hold Unix nanoseconds
// exactly, so every instant is kept as such a (seconds, nanoseconds) pair;
// sums and comparisons on pairs are exact.
//
// A TAT is stored as a decimal count of Unix nanoseconds, with a TTL (PX)
// of its distance from now rounded up to the millisecond: the key
// disappears when it would be equal to a new key anyway. A stored value
// that is not such a number counts as no value.
//
// A decision of one item takes a shorter path with the same arithmetic.
//
// The reply is an array of integers: now_s, now_ns, then for each item
// allowed (1 or 0), tat_s, tat_ns. (Integers cost the server less than
// formatting a string.)
const gcraScript = `
if redis.replicate_commands then redis.replicate_commands() end
local E = 1000000000
local t = redis.call('TIME')
local now_s, now_n = tonumber(t[1]), tonumber(t[2]) * 1000
local n = #KEYS
if #ARGV ~= 4 * n then
  return redis.error_reply('ERR redisstore: ' .. n .. ' keys but ' .. #ARGV .. ' arguments')
end
-- One item (one policy, the common case): the same steps without tables.
if n == 1 then
  local s, ns = now_s, now_n
  local v = redis.call('GET', KEYS[1])
  if v then
    local l = #v
    local vs, vn = 0, nil
    if l > 9 then
      vs, vn = tonumber(string.sub(v, 1, l - 9)), tonumber(string.sub(v, l - 8))
    else
      vn = tonumber(v)
    end
    if vs and vn and (vs > s or (vs == s and vn > ns))
        and vs < 1e11 and vs % 1 == 0 and vn >= 0 and vn < E and vn % 1 == 0 then
      s, ns = vs, vn
    end
  end
  local as, an = s + tonumber(ARGV[1]), ns + tonumber(ARGV[2])
  if an >= E then as, an = as + 1, an - E end
  local ls, ln = now_s + tonumber(ARGV[3]), now_n + tonumber(ARGV[4])
  if ln >= E then ls, ln = ls + 1, ln - E end
  if as > ls or (as == ls and an > ln) then
    return {now_s, now_n, 0, s, ns}
  end
  if as ~= s or an ~= ns then
    local ds, dn = as - now_s, an - now_n
    if dn < 0 then ds, dn = ds - 1, dn + E end
    local px = ds * 1000 + math.ceil(dn / 1000000)
    if px < 1 then px = 1 end
    redis.call('SET', KEYS[1], string.format('%d%09d', as, an), 'PX', px)
  end
  return {now_s, now_n, 1, as, an}
end
local st = {}
local all = true
for i = 1, n do
  local s, ns = now_s, now_n
  local v = redis.call('GET', KEYS[i])
  if v then
    local l = #v
    local vs, vn = 0, nil
    if l > 9 then
      vs, vn = tonumber(string.sub(v, 1, l - 9)), tonumber(string.sub(v, l - 8))
    else
      vn = tonumber(v)
    end
    if vs and vn and (vs > s or (vs == s and vn > ns))
        and vs < 1e11 and vs % 1 == 0 and vn >= 0 and vn < E and vn % 1 == 0 then
      s, ns = vs, vn
    end
  end
  local j = 4 * i
  local as, an = s + tonumber(ARGV[j - 3]), ns + tonumber(ARGV[j - 2])
  if an >= E then as, an = as + 1, an - E end
  local ls, ln = now_s + tonumber(ARGV[j - 1]), now_n + tonumber(ARGV[j])
  if ln >= E then ls, ln = ls + 1, ln - E end
  local k = 5 * i
  st[k - 3], st[k - 2] = s, ns
  if as < ls or (as == ls and an <= ln) then
    st[k - 4], st[k - 1], st[k] = 1, as, an
  else
    st[k - 4], st[k - 1], st[k] = 0, s, ns
    all = false
  end
end
local out = {now_s, now_n}
for i = 1, n do
  local k = 5 * i
  local s, ns = st[k - 3], st[k - 2]
  if all and (st[k - 1] ~= s or st[k] ~= ns) then
    s, ns = st[k - 1], st[k]
    local ds, dn = s - now_s, ns - now_n
    if dn < 0 then ds, dn = ds - 1, dn + E end
    local px = ds * 1000 + math.ceil(dn / 1000000)
    if px < 1 then px = 1 end
    redis.call('SET', KEYS[i], string.format('%d%09d', s, ns), 'PX', px)
  end
  local m = 3 * i
  out[m], out[m + 1], out[m + 2] = st[k - 4], s, ns
end
return out
`
