--[[
  save_request: store a user's notification request on an item (or a sport or team
  follow), replacing any earlier one and forgetting its delivery; the same request again
  changes nothing.
    KEYS[1] requests     HASH  user -> request (url, price, hd, sources, created, delivery, notified)
    KEYS[2] user index   SET   "<itemtype>|<itemid>" of the user's requests
    KEYS[3] deliveries   HASH  delivery id -> delivery
    KEYS[4] outbox       ZSET  delivery id -> due ms
    ARGV[1] the user
    ARGV[2] the request record (its delivery and notified fields empty)
    ARGV[3] "<itemtype>|<itemid>"
  Returns 1 created | 2 replaced | 0 the same request was there already
]]
--- @include "notify_common"
local before = redis.call('HGET', KEYS[1], ARGV[1])
if before then
  local old, new = split(before), split(ARGV[2])
  if old[1] == new[1] and old[2] == new[2] and old[3] == new[3] and old[4] == new[4] then
    redis.call('SADD', KEYS[2], ARGV[3])
    return 0
  end
  drop_delivery(KEYS[3], KEYS[4], old[6])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if before then
  return 2
end
return 1
