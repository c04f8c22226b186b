--[[
  list_events: one page of one list of one user, newest first (read only).
    KEYS[1] times    ZSET  item -> ms while in the list | -(ms + 1) once deleted
    KEYS[2] values   HASH  item -> value
    ARGV[1] cursor time: '' from the newest | the ms of the last item already read
    ARGV[2] cursor item: the last item already read ('' with no cursor)
    ARGV[3] page size
  Returns {item, ms, value ('' none), item, ms, value, ...}; items of equal time come in
  descending item order, as ZREVRANGEBYSCORE gives them
]]
local limit = tonumber(ARGV[3])
local page, items = {}, {}
local below = '+inf'
if ARGV[1] ~= '' then
  local ties = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
  for i = #ties, 1, -1 do
    if #items < 2 * limit and ties[i] < ARGV[2] then
      items[#items + 1] = ties[i]
      items[#items + 1] = ARGV[1]
    end
  end
  below = '(' .. ARGV[1]
end
if #items < 2 * limit then
  local rest = redis.call('ZREVRANGEBYSCORE', KEYS[1], below, 0, 'WITHSCORES', 'LIMIT', 0, limit - #items / 2)
  for _, value in ipairs(rest) do
    items[#items + 1] = value
  end
end
for i = 1, #items, 2 do
  page[#page + 1] = items[i]
  page[#page + 1] = items[i + 1]
  page[#page + 1] = redis.call('HGET', KEYS[2], items[i]) or ''
end
return page
