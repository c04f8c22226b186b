--[[
  deactivate_profile: hide an active profile (GET and PATCH answer 404; PUT re-creates it).
    KEYS[1] profile   HASH  top-level key -> JSON text, plus _etag and _deactivated
    ARGV[1] now (ms), kept as the time of deactivation
  Returns 1 deactivated | -1 no active profile
]]
if redis.call('HEXISTS', KEYS[1], '_etag') == 0 or redis.call('HEXISTS', KEYS[1], '_deactivated') == 1 then
  return -1
end
redis.call('HSET', KEYS[1], '_deactivated', ARGV[1])
return 1
