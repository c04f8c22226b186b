--[[
  add_pairs: add co-occurrence to one item's neighbours. The counts keep the item's most
  co-occurring items (growing to eight times the cap, then cut back to four times it: a
  newcomer gets time to gather counts); the neighbour list keeps the cap's most similar, by
  count / divisor.
    KEYS[1] counts      ZSET  "<itemtype>|<itemid>" -> weighted co-occurrence with this item
    KEYS[2] neighbours  ZSET  "<itemtype>|<itemid>" -> similarity (before this item's own
                              normalisation, which is the same for the whole list)
    ARGV[1] the cap (neighbours kept)
    ARGV[2] the pairs, one a line ("\n" after each): member \t increment \t divisor
  Returns the number of neighbours kept
]]
local cap = tonumber(ARGV[1])
local kept = redis.call('ZCARD', KEYS[2])
local floor = -math.huge  -- a full list takes only what beats its last
if kept >= cap then
  floor = tonumber(redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2])
end
local created = false  -- a count set grew: it may need cutting back
local grew = 0  -- neighbours added
for member, increment, divisor in string.gmatch(ARGV[2], '([^\t]*)\t([^\t]*)\t([^\n]*)\n') do
  local count = tonumber(redis.call('ZINCRBY', KEYS[1], increment, member))
  local similarity = count / tonumber(divisor)
  -- a count that starts again (cut from the counts, kept as a neighbour) must not pull the
  -- neighbour down: it only raises it
  local anew = count == tonumber(increment)
  if anew then
    created = true
  end
  if similarity > floor then
    if anew then
      grew = grew + redis.call('ZADD', KEYS[2], 'GT', similarity, member)
    else
      grew = grew + redis.call('ZADD', KEYS[2], similarity, member)
    end
  elseif not anew and redis.call('ZSCORE', KEYS[2], member) then
    redis.call('ZADD', KEYS[2], similarity, member)
  end
end
if created then
  local counted = redis.call('ZCARD', KEYS[1])
  if counted > 8 * cap then
    redis.call('ZREMRANGEBYRANK', KEYS[1], 0, counted - 4 * cap - 1)
  end
end
kept = kept + grew
if kept > cap then  -- full, or a lowered cap
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, kept - cap - 1)
  kept = cap
end
return kept
