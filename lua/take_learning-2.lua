--[[
  take_learning: what the learner needs to make one user's pending co-occurrence pairs:
  the pending items (left in place: the learner trims them once their pairs are stored)
  and the user's newest items, which they pair with.
    KEYS[1] pending  LIST  "<itemtype>|<itemid>\t<ms>", oldest first: still to be learnt
    KEYS[2] history  ZSET  "<itemtype>|<itemid>" -> when the item first counted (ms)
    ARGV[1] how many of the user's newest items an item pairs with
    ARGV[2] the most pending items taken
  Returns an array: the user's item count before the pending ones, how many pending items
  there are, how many are taken (k), the k taken ("<member>\t<ms>"), then the user's
  newest items (newest first; the pending ones among them too, for the learner to skip)
]]
local total = redis.call('LLEN', KEYS[1])
local taken = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local reply = {redis.call('ZCARD', KEYS[2]) - total, total, #taken}
for _, line in ipairs(taken) do
  reply[#reply + 1] = line
end
if #taken > 0 then
  for _, member in ipairs(redis.call('ZREVRANGE', KEYS[2], 0, tonumber(ARGV[1]) + total - 1)) do
    reply[#reply + 1] = member
  end
end
return reply
