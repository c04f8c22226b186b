--[[
  patch_profile: set and delete top-level keys of an active profile, all or nothing.
    KEYS[1] profile   HASH  top-level key -> JSON text, plus _etag and _deactivated
    ARGV[1] the new etag
    ARGV[2] if-match: '' none | '*' any | etags, space-separated, one of which the profile
            must have (from the client)
    ARGV[3] expected etag: '' none | the etag read before the caller merged nested objects
    ARGV[4] the largest stored size, in bytes of top-level keys plus JSON texts
    ARGV[5..] top-level key, JSON text ('' deletes the key), ...
  Returns {1, key, JSON text, key, JSON text, ...} the updated profile (reserved keys left out)
          | -1 no active profile | -2 if-match failed | -4 too large
          | -5 changed since the caller read it (read again and retry)
]]
--- @include "etag_listed"
local flat = redis.call('HGETALL', KEYS[1])
local fields = {}
for i = 1, #flat, 2 do
  fields[flat[i]] = flat[i + 1]
end
if not fields['_etag'] or fields['_deactivated'] then
  return -1
end
if ARGV[2] ~= '' and ARGV[2] ~= '*' and not etag_listed(fields['_etag'], ARGV[2]) then
  return -2
end
if ARGV[3] ~= '' and ARGV[3] ~= fields['_etag'] then
  return -5
end

local deletes, sets = {}, {}
for i = 5, #ARGV, 2 do
  local name, value = ARGV[i], ARGV[i + 1]
  if value == '' then
    fields[name] = nil
    deletes[#deletes + 1] = name
  else
    fields[name] = value
    sets[#sets + 1] = name
    sets[#sets + 1] = value
  end
end

local size, profile = 0, {1}
for name, value in pairs(fields) do
  if string.sub(name, 1, 1) ~= '_' then
    size = size + #name + #value
    profile[#profile + 1] = name
    profile[#profile + 1] = value
  end
end
if size > tonumber(ARGV[4]) then
  return -4
end

-- Lua's stack bounds unpack(): send the fields a thousand at a time.
for i = 1, #deletes, 1000 do
  redis.call('HDEL', KEYS[1], unpack(deletes, i, math.min(i + 999, #deletes)))
end
for i = 1, #sets, 2000 do
  redis.call('HSET', KEYS[1], unpack(sets, i, math.min(i + 1999, #sets)))
end
redis.call('HSET', KEYS[1], '_etag', ARGV[1])
return profile
