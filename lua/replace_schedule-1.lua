--[[
  replace_schedule: replace a channel's programme guide at once.
    KEYS[1] guide    ZSET  "<start ms>|<end ms>|<itemtype>|<itemid>" -> start ms
    ARGV[1..] pairs of start ms and slot member
  Returns the number of slots
]]
redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 2000 do
  redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 1999, #ARGV)))
end
return #ARGV / 2
