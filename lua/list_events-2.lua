--[[
  list_events: one page of one list of one user, newest first (read only).
    KEYS[1] times    ZSET  item -> ms while in the list | -(ms + 1) once deleted
    KEYS[2] values   HASH  item -> value
    ARGV[1] cursor time: '' from the newest | the ms of the last item already read
    ARGV[2] cursor item: the last item already read ('' with no cursor)
    ARGV[3] page size
  Returns {item, ms, value ('' none), item, ms, value, ...}: newest first, items of one time
  in descending byte order (the sorted set's own order)
]]
--- @include "byte_before"
local limit = tonumber(ARGV[3])

local found
if ARGV[1] == '' then
  found = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', 0, 'WITHSCORES', 'LIMIT', 0, limit)
else
  local rank = redis.call('ZREVRANK', KEYS[1], ARGV[2])
  local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if rank and tonumber(score) == tonumber(ARGV[1]) then
    -- the cursor's item is where it was: the page starts right after it
    found = redis.call('ZREVRANGE', KEYS[1], rank + 1, rank + limit, 'WITHSCORES')
  else
    -- it moved or went: the items of its time that sort after it, then older items
    found = {}
    local ties = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'WITHSCORES')
    for i = 1, #ties, 2 do
      if #found < 2 * limit and byte_before(ties[i], ARGV[2]) then
        found[#found + 1] = ties[i]
        found[#found + 1] = ties[i + 1]
      end
    end
    if #found < 2 * limit then
      local older = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], 0, 'WITHSCORES', 'LIMIT', 0,
        limit - #found / 2)
      for _, value in ipairs(older) do
        found[#found + 1] = value
      end
    end
  end
end

local page = {}
for i = 1, #found, 2 do
  if tonumber(found[i + 1]) < 0 then
    break  -- tombstones sort after every item in the list
  end
  page[#page + 1] = found[i]
  page[#page + 1] = found[i + 1]
  page[#page + 1] = redis.call('HGET', KEYS[2], found[i]) or ''
end
return page
