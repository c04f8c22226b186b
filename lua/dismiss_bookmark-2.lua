--[[
  dismiss_bookmark: take a bookmark off the user's list until newer progress brings it back.
    KEYS[1] bookmarks  ZSET  "<itemtype>|<itemid>" -> last activity (ms)
    KEYS[2] marks      HASH  "<itemtype>|<itemid>" -> record (see record_viewing)
    ARGV[1] the bookmark, "<itemtype>|<itemid>"
    ARGV[2] now (ms)
  Returns 1 a bookmark was dismissed | 0 there was none (then nothing is written)
]]
local stored = redis.call('HGET', KEYS[2], ARGV[1])
if not stored then
  return 0
end
local open = 0
local state, ms = string.match(stored, '^(%a)\t([^\t]*)\t')
if state == 'w' or state == 'n' then
  open = 1
end
local at = math.max(tonumber(ARGV[2]), tonumber(ms))
redis.call('HSET', KEYS[2], ARGV[1], 'd\t' .. string.format('%d', at) .. '\t\t\t')
redis.call('ZREM', KEYS[1], ARGV[1])
return open
