--[[
  event_memberships: which of some items are in which of the user's lists of one item type
  (read only).
    KEYS[1] values   HASH  "<itemtype>|<event>|<item>" -> "<ms>=<value>" | "<ms>!"
    KEYS[2] lists    SET   "<itemtype>|<event>"
    ARGV[1] the item type
    ARGV[2..] item ids (at most a thousand)
  Returns {event, item, "<ms>=<value>", ...} for every item in a list, events in name order
]]
local events = {}
for _, list in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local itemtype, event = string.match(list, '^([^|]+)|(.+)$')
  if itemtype == ARGV[1] then
    events[#events + 1] = event
  end
end
table.sort(events)
local found = {}
for _, event in ipairs(events) do
  local fields = {}
  for i = 2, #ARGV do
    fields[#fields + 1] = ARGV[1] .. '|' .. event .. '|' .. ARGV[i]
  end
  local stored = redis.call('HMGET', KEYS[1], unpack(fields))
  for i = 1, #fields do
    if stored[i] and string.find(stored[i], '=', 1, true) then
      found[#found + 1] = event
      found[#found + 1] = ARGV[i + 1]
      found[#found + 1] = stored[i]
    end
  end
end
return found
