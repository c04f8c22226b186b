--[[
  read_activity: what seed 003's GET returns for one user (read only).
    KEYS[1] order    ZSET  score 0, "<itemtype>|<event>|<inverted ms>|<item>"
    KEYS[2] values   HASH  "<itemtype>|<event>|<item>" -> "<ms>=<value>" | "<ms>!"
    KEYS[3] stats    HASH  "<asset>|<stat>" -> number
    ARGV[1] the item type of the assets
  Returns {favorites newest first, {asset, rating, ...}, {stat field, value, ...}}
]]
local function items(list)
  local found = {}
  for _, member in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], '[' .. list .. '|', '[' .. list .. '|\255')) do
    found[#found + 1] = string.match(member, '^[^|]+|[^|]+|%d+|(.+)$')
  end
  return found
end
local ratings = {}
for _, asset in ipairs(items(ARGV[1] .. '|rated')) do
  local stored = redis.call('HGET', KEYS[2], ARGV[1] .. '|rated|' .. asset)
  ratings[#ratings + 1] = asset
  ratings[#ratings + 1] = string.match(stored, '=(.*)$')
end
return {items(ARGV[1] .. '|watchlist'), ratings, redis.call('HGETALL', KEYS[3])}
