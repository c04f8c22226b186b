--[[
  save_request: store a user's notification request on an item (or a sport or team
  follow), replacing any earlier one and forgetting its delivery (a webhook not yet sent is
  not sent). The same request again changes nothing, unless its delivery failed for good:
  then it is made anew, to be tried again.
    KEYS[1] open         HASH  user -> request (url, price, hd, sources, created, delivery, notified)
    KEYS[2] done         HASH  user -> request, once matched
    KEYS[3] user index   SET   "<itemtype>|<itemid>" of the user's requests
    KEYS[4] deliveries   HASH  delivery id -> delivery
    KEYS[5] outbox       ZSET  delivery id -> due ms
    KEYS[6] count        STRING the service's requests, open or matched
    ARGV[1] the user
    ARGV[2] the request record (its delivery and notified fields empty)
    ARGV[3] "<itemtype>|<itemid>"
    ARGV[4] the most requests the service may hold
  Returns 1 created | 2 replaced | 0 the same request was there already | -1 refused: the
  service holds ARGV[4] requests already (nothing changed)
]]
--- @include "notify_common"
local before = redis.call('HGET', KEYS[1], ARGV[1]) or redis.call('HGET', KEYS[2], ARGV[1])
if not before and tonumber(redis.call('GET', KEYS[6]) or 0) >= tonumber(ARGV[4]) then
  return -1
end
redis.call('SADD', KEYS[3], ARGV[3])
if before then
  local old, new = request_of(before), request_of(ARGV[2])
  if old[1] == new[1] and old[2] == new[2] and old[3] == new[3] and old[4] == new[4] then
    local delivery = redis.call('HGET', KEYS[4], old[6])
    if not (delivery and split(delivery)[1] == 'failed') then
      return 0
    end
  end
  drop_delivery(KEYS[4], KEYS[5], old[6])
  redis.call('HDEL', KEYS[2], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if before then
  return 2
end
redis.call('INCR', KEYS[6])
return 1
