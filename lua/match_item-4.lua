--[[
  match_item: an item is available: every open request on it (or, for an episode, on its
  programme) that one of its offers suits gets a delivery (the cheapest suitable offer)
  and moves to the done requests, so that it is matched once and later writes of the item
  read only the requests still open.
    KEYS[1] open         HASH  user -> request (url, price, hd, sources, created, delivery, notified)
    KEYS[2] done         HASH  user -> request, once matched
    KEYS[3] deliveries   HASH  delivery id -> delivery
    KEYS[4] outbox       ZSET  delivery id -> due ms
    ARGV[1] now (ms)
    ARGV[2] when the deliveries are due (ms): the sweep sends any not begun by then
    ARGV[3] the requested item type, ARGV[4] its id (the item, or the episode's programme)
    ARGV[5] the available item's type, ARGV[6] its id
    ARGV[7] the offers, "source\tprice\thd\n" a line
    ARGV[8] one user, to match only that user's request ('' every open request)
  Returns the ids of the new deliveries
]]
--- @include "notify_common"
local offers = offers_of(ARGV[7])
local created = {}
local flat
if ARGV[8] ~= '' then
  flat = {ARGV[8], redis.call('HGET', KEYS[1], ARGV[8])}
  if not flat[2] then
    return created
  end
else
  flat = redis.call('HGETALL', KEYS[1])
end
for i = 1, #flat, 2 do
  local user, request = flat[i], request_of(flat[i + 1])
  local offer = best_offer(request, offers)
  if offer then
    local id = table.concat({'r', ARGV[3], ARGV[4], user, request[5]}, '|')
    new_delivery(KEYS[3], KEYS[4], id, ARGV[2], request[1], user, ARGV[3], ARGV[4], ARGV[5], ARGV[6],
      offer, ARGV[1])
    request[6] = id
    redis.call('HDEL', KEYS[1], user)
    redis.call('HSET', KEYS[2], user, table.concat(request, '\t'))
    created[#created + 1] = id
  end
end
return created
