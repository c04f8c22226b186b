--[[
  list_events: one page of a user's list, newest first (read only).
    KEYS[1] order    ZSET  score 0, "<itemtype>|<event>|<inverted ms>|<item>"
    KEYS[2] values   HASH  "<itemtype>|<event>|<item>" -> "<ms>=<value>" | "<ms>!"
    ARGV[1] the list, "<itemtype>|<event>"
    ARGV[2] cursor: '' from the newest | the order member of the last item already read
    ARGV[3] page size
  Returns {member, "<ms>=<value>", member, "<ms>=<value>", ...}
]]
local first = '[' .. ARGV[1] .. '|'
if ARGV[2] ~= '' then
  first = '(' .. ARGV[2]
end
local members = redis.call('ZRANGEBYLEX', KEYS[1], first, '[' .. ARGV[1] .. '|\255', 'LIMIT', 0,
  tonumber(ARGV[3]))
local page = {}
for _, member in ipairs(members) do
  local item = string.match(member, '^[^|]+|[^|]+|%d+|(.+)$')
  page[#page + 1] = member
  page[#page + 1] = redis.call('HGET', KEYS[2], ARGV[1] .. '|' .. item) or ''
end
return page
