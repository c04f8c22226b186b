--[[
  ingest_activity: apply a seed 003 activity upload for one user, all or nothing. What the
  upload states wins over anything stored: its writes are stamped after the stored time
  when that is later than now (events may carry times a little ahead).
    KEYS[1] favorites      ZSET  asset -> ms (the asset watchlist; see apply_events)
    KEYS[2] favorite vals  HASH  (the watchlist's values: none)
    KEYS[3] ratings        ZSET  asset -> ms (the asset rated list)
    KEYS[4] rating vals    HASH  asset -> rating
    KEYS[5] lists          SET   "<itemtype>|<event>" of the user's lists
    KEYS[6] stats          HASH  "<asset>|<stat>" -> number
    ARGV[1] now (ms)
    ARGV[2] the favorites list name, ARGV[3] the ratings list name ("<itemtype>|<event>")
    ARGV[4] what is replaced: 'all' (isDelta=false) | 'favorites' (a new favorites list) | ''
    ARGV[5] k, the number of stat pairs; ARGV[6] f, the number of favorites
    ARGV[7..] k pairs of stat field and value, f favorite assets, then pairs of asset
              and rating
  Returns the changes made, for the analytics log: {op, list, asset, ms, value, ...}
]]
--- @include "byte_before"
--- @include "apply_event"
local now = tonumber(ARGV[1])
local changes = {}

local function stamp(times, item)
  local stored = redis.call('ZSCORE', times, item)
  if not stored then
    return now
  end
  stored = tonumber(stored)
  if stored < 0 then
    stored = -stored - 1
  end
  return math.max(now, stored + 1)
end

local function write(times, values, list, op, item, value)
  local ms = stamp(times, item)
  apply_event(times, values, KEYS[5], list, op, item, ms, value)
  for _, part in ipairs({op, list, item, ms, value}) do
    changes[#changes + 1] = part
  end
end

-- remove what the upload no longer names
local function keep_only(times, values, list, kept)
  for _, item in ipairs(redis.call('ZRANGEBYSCORE', times, 0, '+inf')) do
    if not kept[item] then
      write(times, values, list, '-', item, '')
    end
  end
end

local k, f = tonumber(ARGV[5]), tonumber(ARGV[6])
local first_favorite, first_rating = 7 + 2 * k, 7 + 2 * k + f
local favorites, ratings = {}, {}
for i = first_favorite, first_rating - 1 do
  favorites[ARGV[i]] = true
end
for i = first_rating, #ARGV, 2 do
  ratings[ARGV[i]] = true
end
if ARGV[4] == 'all' or ARGV[4] == 'favorites' then
  keep_only(KEYS[1], KEYS[2], ARGV[2], favorites)
end
if ARGV[4] == 'all' then
  keep_only(KEYS[3], KEYS[4], ARGV[3], ratings)
  redis.call('DEL', KEYS[6])
end
for i = 7, first_favorite - 1, 2 do
  redis.call('HSET', KEYS[6], ARGV[i], ARGV[i + 1])
end
for i = first_favorite, first_rating - 1 do
  write(KEYS[1], KEYS[2], ARGV[2], '+', ARGV[i], '')
end
for i = first_rating, #ARGV, 2 do
  write(KEYS[3], KEYS[4], ARGV[3], '+', ARGV[i], ARGV[i + 1])
end
return changes
