--[[
  match_follows: an item tagged with a sport or team is available: every follower whose
  follow began before the item became available, whose filters one of its offers suits,
  and who has not been told of this item, gets a delivery.
    KEYS[1] follows      HASH  user -> request (url, price, hd, sources, created, latest delivery, notified)
    KEYS[2] sent         SET   "<user>|<itemtype>|<itemid>" already told
    KEYS[3] deliveries   HASH  delivery id -> delivery
    KEYS[4] outbox       ZSET  delivery id -> due ms
    KEYS[5] available    HASH  "<itemtype>|<itemid>" -> available since (ms)
    ARGV[1] now (ms), ARGV[2] when the deliveries are due (ms)
    ARGV[3] the followed type (sport | team), ARGV[4] the followed id
    ARGV[5] the item type, ARGV[6] the item id
    ARGV[7] the item's offers, "source\tprice\thd\n" a line
  Returns the ids of the new deliveries
]]
--- @include "notify_common"
local offers = offers_of(ARGV[7])
local since = tonumber(redis.call('HGET', KEYS[5], ARGV[5] .. '|' .. ARGV[6]) or ARGV[1])
local created = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  local user, request = flat[i], request_of(flat[i + 1])
  local told = user .. '|' .. ARGV[5] .. '|' .. ARGV[6]
  if tonumber(request[5]) <= since and redis.call('SISMEMBER', KEYS[2], told) == 0 then
    local offer = best_offer(request, offers)
    if offer then
      local id = table.concat({'f', ARGV[3], ARGV[4], user, ARGV[5], ARGV[6]}, '|')
      new_delivery(KEYS[3], KEYS[4], id, ARGV[2], request[1], user, ARGV[3], ARGV[4], ARGV[5], ARGV[6],
        offer, ARGV[1])
      redis.call('SADD', KEYS[2], told)
      -- the request shows its latest delivery; an earlier one that is done is forgotten
      local earlier = redis.call('HGET', KEYS[3], request[6])
      if earlier and split(earlier)[1] ~= 'pending' then
        redis.call('HDEL', KEYS[3], request[6])
      end
      request[6] = id
      redis.call('HSET', KEYS[1], user, table.concat(request, '\t'))
      created[#created + 1] = id
    end
  end
end
return created
