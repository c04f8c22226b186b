--[[
  ingest_activity: apply a seed 003 activity upload (favorites, view data) for one user, all
  or nothing.
    KEYS[1] values   HASH  "<itemtype>|<event>|<item>" -> "<ms>=<value>" | "<ms>!" (deleted)
    KEYS[2] order    ZSET  score 0, "<itemtype>|<event>|<inverted ms>|<item>"
    KEYS[3] lists    SET   "<itemtype>|<event>"
    KEYS[4] stats    HASH  "<asset>|<stat>" -> number
    ARGV[1] now (ms): the time of the deletions the upload implies
    ARGV[2] the item type of the uploaded assets
    ARGV[3] events whose lists (of that item type) are emptied first, space-separated
            ('' none; 'watchlist' for new favorites; 'watchlist rated' to replace all)
    ARGV[4] '1' to drop every stat first (replace all) | '0'
    ARGV[5] k, the number of stat pairs that follow
    ARGV[6..] k pairs of stat field, value; then six per event: op ('+' record, '-' delete),
              item type, event, item, event time (ms), value
  Returns 1
]]
--- @include "apply_event"
local now, itemtype = tonumber(ARGV[1]), ARGV[2]
for event in string.gmatch(ARGV[3], '%S+') do
  local list = itemtype .. '|' .. event
  local members = redis.call('ZRANGEBYLEX', KEYS[2], '[' .. list .. '|', '[' .. list .. '|\255')
  for _, member in ipairs(members) do
    local inverted, item = string.match(member, '^[^|]+|[^|]+|(%d+)|(.+)$')
    local ms = math.max(now, 9999999999999 - tonumber(inverted))
    apply_event(KEYS[1], KEYS[2], KEYS[3], '-', itemtype, event, item, ms, '')
  end
end
if ARGV[4] == '1' then
  redis.call('DEL', KEYS[4])
end
local pairs_end = 5 + 2 * tonumber(ARGV[5])
for i = 6, pairs_end, 2 do
  redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1])
end
for i = pairs_end + 1, #ARGV, 6 do
  apply_event(KEYS[1], KEYS[2], KEYS[3], ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3],
    tonumber(ARGV[i + 4]), ARGV[i + 5])
end
return 1
