--[[
  put_item: store one catalogue item's document.
    KEYS[1] item     HASH  doc (JSON text), programme ('' unless an episode), updated_ms,
                           name, duration, order
    ARGV[1] the document's JSON text
    ARGV[2] its programme id ('' when it is not an episode)
    ARGV[3] now (ms)
    ARGV[4] its name ('' none)
    ARGV[5] its duration in minutes ('' none)
    ARGV[6] its episode order, season * 100000 + number ('' unless an episode)
  Returns {1 created | 0 replaced, the programme id it had before ('' none)}: the caller
  drops the item from that programme's episodes when it changed
]]
local before = redis.call('HGET', KEYS[1], 'programme')
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'programme', ARGV[2], 'updated_ms', ARGV[3], 'name', ARGV[4],
  'duration', ARGV[5], 'order', ARGV[6])
if before then
  return {0, before}
end
return {1, ''}
