--[[
  forget_log_purge: drop a user's pending log purge once swept, unless a newer purge of the
  same user came in meanwhile (its cutoff differs, and it stays pending).
    KEYS[1] pending purges   HASH  user -> the log entry id up to which to delete
    ARGV[1] the user
    ARGV[2] the cutoff the sweep used
  Returns 1 dropped | 0 kept (a newer purge)
]]
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
