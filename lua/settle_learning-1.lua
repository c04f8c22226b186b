--[[
  settle_learning: take users whose pending learning is done off a learn queue, each only if
  no event marked it again since the learner read it (its count is unchanged).
    KEYS[1] queue  ZSET  user -> times marked for learning
    ARGV[1] the users, one a line ("\n" after each): user \t the count the learner read
  Returns the number of users taken off
]]
local settled = 0
for user, count in string.gmatch(ARGV[1], '([^\t]*)\t([^\n]*)\n') do
  if tonumber(redis.call('ZSCORE', KEYS[1], user) or '-1') == tonumber(count) then
    settled = settled + redis.call('ZREM', KEYS[1], user)
  end
end
return settled
