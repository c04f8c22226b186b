--[[
  mark_positive: note the items that now count for the user's recommendations (a positive
  event on each), each once: a repeated event adds nothing.
    KEYS[1] history  ZSET  "<itemtype>|<itemid>" -> when the item first counted (ms)
    ARGV[1] how many of the user's newest items to return (the pairs a new item makes)
    ARGV[2] the items, one a line ("\n" after each): "<itemtype>|<itemid>" \t ms
  Returns an array: the user's item count before these, then how many newest items follow,
  those items (newest first, before these), then per line 1 newly counted | 0 already
]]
local lines = {}
local fresh = false
for member, ms in string.gmatch(ARGV[2], '([^\t]*)\t([^\n]*)\n') do
  local known = redis.call('ZSCORE', KEYS[1], member)
  lines[#lines + 1] = {member, ms, known == false}
  if known == false then
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
