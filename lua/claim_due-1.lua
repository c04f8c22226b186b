--[[
  claim_due: the outbox entries that are due, each put off by a grace period so that the
  next sweep does not take it again while it is being sent.
    KEYS[1] outbox       ZSET  delivery id -> due ms
    ARGV[1] now (ms)
    ARGV[2] put off until (ms)
    ARGV[3] at most this many
  Returns the delivery ids
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return due
