-- apply_event(times, values, lists, list, op, item, ms, value): record (op '+') or delete
-- (op '-') one event of one list; the newest event time wins, so a retry or an older event
-- arriving late changes nothing. At equal times the outcome does not depend on arrival
-- either: a deletion wins over a record, and of two records the greater value (numbers
-- equal as doubles: the value whose text sorts last byte by byte). Needs byte_before.
-- Returns 1 applied | 0 not newer (unchanged).
-- `times` scores an item ms while in the list, -(ms + 1) once deleted at ms. A list's times
-- key exists exactly while the list is in `lists`, so only a new key needs the SADD.
local listed = {}

local function apply_event(times, values, lists, list, op, item, ms, value)
  if listed[list] == nil then
    listed[list] = redis.call('EXISTS', times) == 1
  end
  local stored = redis.call('ZSCORE', times, item)
  if stored then
    stored = tonumber(stored)
    local deleted = stored < 0
    if deleted then
      stored = -stored - 1
    end
    if ms < stored then
      return 0
    end
    if ms == stored and op == '+' then
      if deleted then
        return 0
      end
      local current = redis.call('HGET', values, item) or ''
      local new, old = tonumber(value) or -math.huge, tonumber(current) or -math.huge
      if new < old or (new == old and not byte_before(current, value)) then
        return 0
      end
    end
  end
  if op == '+' then
    redis.call('ZADD', times, ms, item)
    if value ~= '' then
      redis.call('HSET', values, item, value)
    elseif stored then
      redis.call('HDEL', values, item)
    end
  else
    redis.call('ZADD', times, -ms - 1, item)
    redis.call('HDEL', values, item)
  end
  if not listed[list] then
    redis.call('SADD', lists, list)
    listed[list] = true
  end
  return 1
end
