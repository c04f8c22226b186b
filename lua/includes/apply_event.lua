-- apply_event(values, order, lists, op, itemtype, event, item, ms, value): record (op '+')
-- or delete (op '-') one event of one user; the newest event time wins, so a retry or an
-- older event arriving late changes nothing. Returns 1 applied | 0 older than what is stored.
local function event_member(list, ms, item)
  return list .. '|' .. string.format('%013d', 9999999999999 - ms) .. '|' .. item
end

local function apply_event(values, order, lists, op, itemtype, event, item, ms, value)
  local list = itemtype .. '|' .. event
  local field = list .. '|' .. item
  local current = redis.call('HGET', values, field)
  if current then
    local stored_ms, state = string.match(current, '^(%d+)([=!])')
    stored_ms = tonumber(stored_ms)
    if ms < stored_ms then
      return 0
    end
    if state == '=' then
      redis.call('ZREM', order, event_member(list, stored_ms, item))
    end
  end
  if op == '+' then
    redis.call('HSET', values, field, string.format('%d', ms) .. '=' .. value)
    redis.call('ZADD', order, 0, event_member(list, ms, item))
    redis.call('SADD', lists, list)
  else
    redis.call('HSET', values, field, string.format('%d', ms) .. '!')
  end
  return 1
end
