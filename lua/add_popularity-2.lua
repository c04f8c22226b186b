--[[
  add_popularity: forward-decayed popularity (Cormode et al. 2009). An event at t adds
  w * 2^((t - L) / half-life) to its item, L being the landmark; scores are never decayed
  one by one. An event too far past the landmark for a double moves the landmark first
  (every score scaled once, in this script). A negative weight takes an earlier addition
  back (a purged user's); an item left with nothing is removed.
    KEYS[1] scores    ZSET    "<itemid>" -> decayed popularity, relative to the landmark
    KEYS[2] landmark  STRING  the landmark L (ms); set by the first event
    ARGV[1] the half-life (ms)
    ARGV[2] the events, one a line ("\n" after each): item id \t ms \t weight
  Returns the landmark in force (ms)
]]
--- @include "rescale_popularity"
local half_life = tonumber(ARGV[1])
local landmark = tonumber(redis.call('GET', KEYS[2]) or '')
for item, ms, weight in string.gmatch(ARGV[2], '([^\t]*)\t([^\t]*)\t([^\n]*)\n') do
  ms = tonumber(ms)
  if landmark == nil then
    landmark = ms
    redis.call('SET', KEYS[2], string.format('%d', landmark))
  elseif (ms - landmark) / half_life > LANDMARK_SPAN then
    landmark = rescale_popularity(KEYS[1], KEYS[2], landmark, ms, half_life)
  end
  local added = tonumber(weight) * 2 ^ ((ms - landmark) / half_life)
  if added > 0 then
    redis.call('ZINCRBY', KEYS[1], added, item)
  elseif added < 0 and redis.call('ZSCORE', KEYS[1], item) then
    if tonumber(redis.call('ZINCRBY', KEYS[1], added, item)) <= -added * 1e-9 then
      redis.call('ZREM', KEYS[1], item)
    end
  end
end
return landmark
