--[[
  finish_delivery: record how sending a delivery went, if the sender still holds it; a
  success marks its request notified.
    KEYS[1] deliveries   HASH  delivery id -> delivery
    KEYS[2] outbox       ZSET  delivery id -> due ms
    KEYS[3] requests     HASH  user -> request: where the delivery's request lives
    KEYS[4] outcomes     HASH  outcome -> how many attempts ended so (for /metrics)
    ARGV[1] the delivery id
    ARGV[2] now (ms)
    ARGV[3] outcome: 'delivered' | 'retry' (due again at ARGV[5]) | 'failed' (for good)
    ARGV[4] the error ('' when delivered)
    ARGV[5] when to try again (ms; with 'retry')
    ARGV[6] the sender's token (the lease it took)
    ARGV[7] when the delivery's request was made (ms; in its id)
  Returns 1 recorded | 0 not: the delivery is gone, done, or taken over by another sender
]]
--- @include "notify_common"
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then
  return 0
end
local delivery = split(stored)
if delivery[1] ~= 'pending' or delivery[4] ~= ARGV[6] then
  return 0
end
redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
delivery[2] = tostring(tonumber(delivery[2]) + 1)
delivery[3] = ARGV[4]
delivery[4] = '0'
if ARGV[3] == 'retry' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
  redis.call('HSET', KEYS[1], ARGV[1], table.concat(delivery, '\t'))
  return 1
end
delivery[1] = ARGV[3]
delivery[15] = ARGV[2]
redis.call('ZREM', KEYS[2], ARGV[1])
local request = redis.call('HGET', KEYS[3], delivery[6])
if request then
  request = request_of(request)
end
local follow = string.sub(ARGV[1], 1, 2) == 'f|'
local current = request and request[5] == ARGV[7] and (follow or request[6] == ARGV[1])
if current and ARGV[3] == 'delivered' then
  request[7] = ARGV[2]
  redis.call('HSET', KEYS[3], delivery[6], table.concat(request, '\t'))
end
if current and request[6] == ARGV[1] then
  redis.call('HSET', KEYS[1], ARGV[1], table.concat(delivery, '\t'))
else
  redis.call('HDEL', KEYS[1], ARGV[1])  -- no request shows it: a follow's earlier one
end
return 1
