--[[
  put_profile: create or replace one user's profile, on an optional condition.
    KEYS[1] profile   HASH  top-level key -> JSON text, plus _etag and _deactivated
    ARGV[1] the new etag
    ARGV[2] if-match: '' none | '*' an active profile | etags, space-separated, one of which
            the active profile must have
    ARGV[3] mode: 'replace' create or replace | 'absent' only if no active profile
            (If-None-Match: *) | 'new' only if the key has never been used (server ids)
    ARGV[4..] top-level key, JSON text, top-level key, JSON text, ...
  Returns 1 created | 2 replaced | -2 if-match failed | -3 exists (modes absent, new)
]]
--- @include "etag_listed"
local state = redis.call('HMGET', KEYS[1], '_etag', '_deactivated')
local exists = state[1] ~= false
local active = exists and state[2] == false

if ARGV[2] ~= '' and (not active or (ARGV[2] ~= '*' and not etag_listed(state[1], ARGV[2]))) then
  return -2
end
if (ARGV[3] == 'absent' and active) or (ARGV[3] == 'new' and exists) then
  return -3
end

redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '_etag', ARGV[1])
-- Lua's stack bounds unpack(): write the fields a thousand at a time.
for i = 4, #ARGV, 2000 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 1999, #ARGV)))
end
if active then
  return 2
end
return 1
