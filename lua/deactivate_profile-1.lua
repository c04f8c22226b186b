--[[
  deactivate_profile: hide an active profile (GET and PATCH answer 404; PUT re-creates it).
    KEYS[1] profile   HASH  top-level key -> JSON text, plus _etag and _deactivated
    ARGV[1] now (ms), kept as the time of deactivation
    ARGV[2] if-match: '' none | '*' any | etags, space-separated, one of which the profile
            must have
  Returns 1 deactivated | -1 no active profile | -2 if-match failed
]]
--- @include "etag_listed"
local state = redis.call('HMGET', KEYS[1], '_etag', '_deactivated')
if not state[1] or state[2] then
  return -1
end
if ARGV[2] ~= '' and ARGV[2] ~= '*' and not etag_listed(state[1], ARGV[2]) then
  return -2
end
redis.call('HSET', KEYS[1], '_deactivated', ARGV[1])
return 1
