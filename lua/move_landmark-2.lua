--[[
  move_landmark: move a forward-decayed popularity set's landmark to a later time, so its
  numbers stay small (the periodic job; see add_popularity).
    KEYS[1] scores    ZSET    "<itemid>" -> decayed popularity, relative to the landmark
    KEYS[2] landmark  STRING  the landmark L (ms)
    ARGV[1] the half-life (ms)
    ARGV[2] the new landmark (ms)
  Returns the landmark in force (ms): unchanged when it is already at or past the new one
]]
--- @include "rescale_popularity"
local landmark = tonumber(redis.call('GET', KEYS[2]) or '')
local wanted = tonumber(ARGV[2])
if landmark == nil or wanted <= landmark then
  return landmark
end
return rescale_popularity(KEYS[1], KEYS[2], landmark, wanted, tonumber(ARGV[1]))
