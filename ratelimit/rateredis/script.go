package rateredis

// gcraScript decides every item of one decision atomically on the server's
// clock and writes the new TATs only when all items admit.
//
// KEYS[i] is the TAT key of item i. ARGV[1] holds, for each item in turn,
// four big-endian IEEE 754 doubles (32 bytes): the increment
// (cost*interval) and the tolerance, each as whole seconds and the
// nanoseconds beyond them (0 <= ns < 1e9). Every one of these is an
// integer below 2^53, so the doubles are exact, and struct.unpack reads
// them without the cost of parsing decimals.
//
// Redis Lua numbers are doubles, which cannot hold Unix nanoseconds
// exactly, so every instant is kept as such a (seconds, nanoseconds) pair;
// sums and comparisons on pairs are exact.
//
// A TAT is stored as 12 bytes, struct.pack('>i8i4', seconds, nanoseconds):
// a big-endian int64 of Unix seconds then a big-endian int32 of the
// nanoseconds beyond them (see [instant]). The key gets a TTL (PX) of
// its distance from now rounded up to the millisecond: it disappears when
// it would be equal to a new key anyway. Values of any other length are
// read as the format of earlier versions, a decimal count of Unix
// nanoseconds, so keys written before an upgrade keep their limits. A
// stored value that is neither counts as no value.
//
// A decision of one item takes a shorter path with the same arithmetic.
//
// The reply is one string, cheaper for the server than an array: now as
// '>i8i4' (12 bytes), then for each item '>Bi8i4' (13 bytes): allowed (1
// or 0) and the TAT (see [parseReply]).
const gcraScript = `
if redis.replicate_commands then redis.replicate_commands() end
local E = 1000000000
local t = redis.call('TIME')
local now_s, now_n = tonumber(t[1]), t[2] * 1000
local n = #KEYS
local a = ARGV[1]
if #ARGV ~= 1 or #a ~= 32 * n then
  return redis.error_reply('ERR rateredis: ' .. n .. ' keys but ' .. #ARGV .. ' arguments')
end
local unpack, pack = struct.unpack, struct.pack
-- stored returns the TAT held in v (12 bytes, or the earlier decimal
-- nanoseconds) when v holds a valid one later than (s, ns), else (s, ns).
local function stored(v, s, ns)
  if not v then return s, ns end
  local vs, vn
  local l = #v
  if l == 12 then
    vs, vn = unpack('>i8i4', v)
  elseif l > 9 then
    vs, vn = tonumber(string.sub(v, 1, l - 9)), tonumber(string.sub(v, l - 8))
  else
    vs, vn = 0, tonumber(v)
  end
  if vs and vn and (vs > s or (vs == s and vn > ns))
      and vs < 1e11 and vs % 1 == 0 and vn >= 0 and vn < E and vn % 1 == 0 then
    return vs, vn
  end
  return s, ns
end
-- One item (one policy, the common case): the same steps without tables.
if n == 1 then
  local s, ns = stored(redis.call('GET', KEYS[1]), now_s, now_n)
  local is, inn, ts, tn = unpack('>dddd', a)
  local as, an = s + is, ns + inn
  if an >= E then as, an = as + 1, an - E end
  local ls, ln = now_s + ts, now_n + tn
  if ln >= E then ls, ln = ls + 1, ln - E end
  if as > ls or (as == ls and an > ln) then
    return pack('>i8i4Bi8i4', now_s, now_n, 0, s, ns)
  end
  if as ~= s or an ~= ns then
    local ds, dn = as - now_s, an - now_n
    if dn < 0 then ds, dn = ds - 1, dn + E end
    local q = dn + 999999
    local px = ds * 1000 + (q - q % 1000000) / 1000000
    if px < 1 then px = 1 end
    redis.call('SET', KEYS[1], pack('>i8i4', as, an), 'PX', px)
  end
  return pack('>i8i4Bi8i4', now_s, now_n, 1, as, an)
end
local st = {}
local all = true
for i = 1, n do
  local s, ns = stored(redis.call('GET', KEYS[i]), now_s, now_n)
  local is, inn, ts, tn = unpack('>dddd', a, 32 * i - 31)
  local as, an = s + is, ns + inn
  if an >= E then as, an = as + 1, an - E end
  local ls, ln = now_s + ts, now_n + tn
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
local out = {pack('>i8i4', now_s, now_n)}
for i = 1, n do
  local k = 5 * i
  local s, ns = st[k - 3], st[k - 2]
  if all and (st[k - 1] ~= s or st[k] ~= ns) then
    s, ns = st[k - 1], st[k]
    local ds, dn = s - now_s, ns - now_n
    if dn < 0 then ds, dn = ds - 1, dn + E end
    local q = dn + 999999
    local px = ds * 1000 + (q - q % 1000000) / 1000000
    if px < 1 then px = 1 end
    redis.call('SET', KEYS[i], pack('>i8i4', s, ns), 'PX', px)
  end
  out[i + 1] = pack('>Bi8i4', st[k - 4], s, ns)
end
return table.concat(out)
`
