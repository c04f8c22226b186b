--[[
  start_delivery: take a pending delivery to send it, unless another sender holds it; a
  delivery whose request was cancelled or replaced meanwhile is dropped instead.
    KEYS[1] deliveries   HASH  delivery id -> delivery
    KEYS[2] outbox       ZSET  delivery id -> due ms
    KEYS[3] requests     HASH  user -> request: where the delivery's request lives (the done
                               requests of its item, or the follows of its sport or team)
    ARGV[1] the delivery id ("r|..." for an item request, "f|..." for a follow)
    ARGV[2] now (ms)
    ARGV[3] lease until (ms): no one else sends it before, and the sender's token
    ARGV[4] when the delivery's request was made (ms; in its id)
  Returns the delivery record, with the request's URL | '' nothing to send
]]
--- @include "notify_common"
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return ''
end
local delivery = split(stored)
if delivery[1] ~= 'pending' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return ''
end
if tonumber(delivery[4]) > tonumber(ARGV[2]) then
  return ''
end
local request = redis.call('HGET', KEYS[3], delivery[6])
if request then
  request = request_of(request)
end
if not request or request[5] ~= ARGV[4] or (string.sub(ARGV[1], 1, 2) == 'r|' and request[6] ~= ARGV[1]) then
  drop_delivery(KEYS[1], KEYS[2], ARGV[1])
  return ''
end
delivery[4] = ARGV[3]
delivery[5] = request[1]
redis.call('HSET', KEYS[1], ARGV[1], table.concat(delivery, '\t'))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return table.concat(delivery, '\t')
