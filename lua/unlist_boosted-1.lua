--[[
  unlist_boosted: take a user off the section compaction list, unless a section event has
  moved the user's due time since the job read it.
    KEYS[1] boosted  ZSET  user -> when the job should next compact the user's boosts (ms)
    ARGV[1] the user
    ARGV[2] the due time the job read
  Returns 1 taken off | 0 left on
]]
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if due and tonumber(due) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
