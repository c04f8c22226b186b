--[[
  ingest_activity: apply a seed 003 activity upload for one user, all or nothing.
    KEYS[1] favorites      ZSET  asset -> ms (the asset watchlist; see apply_events)
    KEYS[2] favorite vals  HASH  (the watchlist's values: none, kept for symmetry)
    KEYS[3] ratings        ZSET  asset -> ms (the asset rated list)
    KEYS[4] rating vals    HASH  asset -> rating
    KEYS[5] lists          SET   "<itemtype>|<event>" of the user's lists
    KEYS[6] stats          HASH  "<asset>|<stat>" -> number
    ARGV[1] now (ms): the time of every change the upload makes
    ARGV[2] the favorites list name, ARGV[3] the ratings list name ("<itemtype>|<event>")
    ARGV[4] what is replaced first: 'all' (isDelta=false) | 'favorites' | ''
    ARGV[5] k, the number of stat pairs; ARGV[6] f, the number of favorites
    ARGV[7..] k pairs of stat field and value, f favorite assets, then pairs of asset
              and rating
  Returns 1
]]
--- @include "apply_event"
local now = tonumber(ARGV[1])
local function clear(times, values, list)
  for _, item in ipairs(redis.call('ZRANGEBYSCORE', times, 0, '+inf')) do
    apply_event(times, values, KEYS[5], list, '-', item, now, '')
  end
end
if ARGV[4] == 'all' or ARGV[4] == 'favorites' then
  clear(KEYS[1], KEYS[2], ARGV[2])
end
if ARGV[4] == 'all' then
  clear(KEYS[3], KEYS[4], ARGV[3])
  redis.call('DEL', KEYS[6])
end
local k, f = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 7, 6 + 2 * k, 2 do
  redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1])
end
for i = 7 + 2 * k, 6 + 2 * k + f do
  apply_event(KEYS[1], KEYS[2], KEYS[5], ARGV[2], '+', ARGV[i], now, '')
end
for i = 7 + 2 * k + f, #ARGV, 2 do
  apply_event(KEYS[3], KEYS[4], KEYS[5], ARGV[3], '+', ARGV[i], now, ARGV[i + 1])
end
return 1
