--[[
  match_follows: an item tagged with a sport or team has become available: the write that
  announced it (and no other: a re-write of an available item tells no one) gives every
  follower whose filters one of its offers suits a delivery.
    KEYS[1] follows      HASH  user -> request (url, price, hd, sources, created, latest delivery, notified)
    KEYS[2] deliveries   HASH  delivery id -> delivery
    KEYS[3] outbox       ZSET  delivery id -> due ms
    KEYS[4] announced    HASH  "<itemtype>|<itemid>" -> the token of the write that announced it
    ARGV[1] now (ms), ARGV[2] when the deliveries are due (ms)
    ARGV[3] the followed type (sport | team), ARGV[4] the followed id
    ARGV[5] the item type, ARGV[6] the item id
    ARGV[7] the item's offers, "source\tprice\thd\n" a line
    ARGV[8] this write's token
  Returns the ids of the new deliveries
]]
--- @include "notify_common"
local created = {}
local item = ARGV[5] .. '|' .. ARGV[6]
if redis.call('HGET', KEYS[4], item) ~= ARGV[8] then
  return created
end
local offers = offers_of(ARGV[7])
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local user, request = flat[i], request_of(flat[i + 1])
  local offer = best_offer(request, offers)
  if offer then
    local id = table.concat({'f', ARGV[3], ARGV[4], user, request[5], ARGV[5], ARGV[6]}, '|')
    new_delivery(KEYS[2], KEYS[3], id, ARGV[2], request[1], user, ARGV[3], ARGV[4], ARGV[5], ARGV[6],
      offer, ARGV[1])
    -- the request shows its latest delivery; an earlier one that is done is forgotten
    local earlier = redis.call('HGET', KEYS[2], request[6])
    if earlier and split(earlier)[1] ~= 'pending' then
      redis.call('HDEL', KEYS[2], request[6])
    end
    request[6] = id
    redis.call('HSET', KEYS[1], user, table.concat(request, '\t'))
    created[#created + 1] = id
  end
end
return created
