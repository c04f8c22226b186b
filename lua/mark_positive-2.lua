--[[
  mark_positive: note the items of one of the user's lists that now count for the user's
  recommendations (a positive event on each), each once: a repeated event adds nothing, and
  an item not in the list after all (a newer deletion won) counts for nothing. Runs after
  the events' own script, so the outcome does not depend on their order of arrival.
    KEYS[1] history  ZSET  "<itemtype>|<itemid>" -> when the item first counted (ms)
    KEYS[2] times    ZSET  the list: item id -> event time (ms; a deletion's tombstone < 0)
    ARGV[1] how many of the user's newest items to return (the pairs a new item makes)
    ARGV[2] the list's item type
    ARGV[3] the items, one a line ("\n" after each): item id \t ms
  Returns an array: the user's item count before these, then how many newest items follow,
  those items (newest first, before these; none when no item is new), then per line
  1 newly counted | 0 not
]]
local lines = {}
local fresh = false
for item, ms in string.gmatch(ARGV[3], '([^\t]*)\t([^\n]*)\n') do
  local member = ARGV[2] .. '|' .. item
  local listed = tonumber(redis.call('ZSCORE', KEYS[2], item) or '-1')
  local new = listed >= 0 and redis.call('ZSCORE', KEYS[1], member) == false
  lines[#lines + 1] = {member, ms, new}
  if new then
    fresh = true
  end
end
local count = redis.call('ZCARD', KEYS[1])
local recent = {}
if fresh and count > 0 then
  recent = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
end
local reply = {count, #recent}
for _, member in ipairs(recent) do
  reply[#reply + 1] = member
end
for _, line in ipairs(lines) do
  if line[3] and redis.call('ZADD', KEYS[1], 'NX', line[2], line[1]) == 1 then
    reply[#reply + 1] = 1
  else
    reply[#reply + 1] = 0
  end
end
return reply
