--[[
  cancel_request: remove a user's notification request on one item, or follow; a delivery
  not yet sent is not sent.
    KEYS[1] open         HASH  user -> request
    KEYS[2] done         HASH  user -> request, once matched
    KEYS[3] user index   SET   "<itemtype>|<itemid>" of the user's requests
    KEYS[4] deliveries   HASH  delivery id -> delivery
    KEYS[5] outbox       ZSET  delivery id -> due ms
    KEYS[6] count        STRING the service's requests, open or matched
    ARGV[1] the user
    ARGV[2] "<itemtype>|<itemid>"
  Returns 1 removed | 0 there was none
]]
--- @include "notify_common"
redis.call('SREM', KEYS[3], ARGV[2])
local before = redis.call('HGET', KEYS[1], ARGV[1]) or redis.call('HGET', KEYS[2], ARGV[1])
if not before then
  return 0
end
drop_delivery(KEYS[4], KEYS[5], request_of(before)[6])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if tonumber(redis.call('GET', KEYS[6]) or 0) > 0 then  -- requests made before the count began
  redis.call('DECR', KEYS[6])                           -- are not in it
end
return 1
