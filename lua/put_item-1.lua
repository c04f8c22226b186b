--[[
  put_item: store one catalogue item's document.
    KEYS[1] item     HASH  doc (JSON text), programme ('' unless an episode), updated_ms,
                           name, duration, order, categories, cast
    ARGV[1] the document's JSON text
    ARGV[2] its programme id ('' when it is not an episode)
    ARGV[3] now (ms)
    ARGV[4] its name ('' none)
    ARGV[5] its duration in minutes ('' none)
    ARGV[6] its episode order, season * 100000 + number ('' unless an episode)
    ARGV[7] its categories, a JSON array ('' none)
    ARGV[8] its cast, a JSON array ('' none)
  Returns {1 created | 0 replaced, the programme id it had before ('' none), the categories
  and the cast it had before ('' none)}: the caller drops the item from the programme's
  episodes and from the category and cast indexes it left
]]
local before = redis.call('HMGET', KEYS[1], 'programme', 'categories', 'cast')
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'programme', ARGV[2], 'updated_ms', ARGV[3], 'name', ARGV[4],
  'duration', ARGV[5], 'order', ARGV[6], 'categories', ARGV[7], 'cast', ARGV[8])
if before[1] then
  return {0, before[1], before[2] or '', before[3] or ''}
end
return {1, '', '', ''}
