--[[
  record_section_events: record events of one list of one user on section instances (item
  type "section"), each moving the instance's boost by the event's weight once it is
  stored (a boost stays within +-1e6). A boost decays towards 0, halving every half-life; it is brought to the event's
  time before the weight is added (a late event adds its weight as of the newest change).
    KEYS[1] times      ZSET  instance id -> ms while in the list | -(ms + 1) once deleted
    KEYS[2] values     HASH  instance id -> value (number text), for events that have one
    KEYS[3] lists      SET   "<itemtype>|<event>" of the user's lists
    KEYS[4] instances  HASH  "i:<id>" -> instance, "t:<id>" -> ms of the boost's last change
    KEYS[5] boosts     ZSET  instance id -> boost as of "t:<id>"
    ARGV[1] this list, "section|<event>"
    ARGV[2] the event's weight ('0' moves nothing)
    ARGV[3] 1 when the weight is multiplied by the event's value (ratings), else 0
    ARGV[4] the half-life (ms)
    ARGV[5] the events, one a line ("\n" after each), four tab-separated fields a line:
            op ('+' record, '-' delete: moves nothing), instance id, event time (ms),
            value ('' for none)
  Returns an array with, per event, 1 stored | 0 older than what is stored (unchanged) |
  -1 no such instance of this user (nothing stored)
]]
--- @include "byte_before"
--- @include "apply_event"
local LIMIT = 1e6  -- a boost stays within this either way (as a weight does)
local weight, by_value, half_life = tonumber(ARGV[2]), ARGV[3] == '1', tonumber(ARGV[4])
local done = {}
for op, id, ms, value in string.gmatch(ARGV[5], '([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\n]*)\n') do
  ms = tonumber(ms)
  local result = -1
  if redis.call('HEXISTS', KEYS[4], 'i:' .. id) == 1 then
    result = apply_event(KEYS[1], KEYS[2], KEYS[3], ARGV[1], op, id, ms, value)
    local moved = weight
    if by_value then
      moved = weight * (tonumber(value) or 0)
    end
    if result == 1 and op == '+' and moved ~= 0 then
      local boost = tonumber(redis.call('ZSCORE', KEYS[5], id) or '0')
      local since = tonumber(redis.call('HGET', KEYS[4], 't:' .. id) or ms)
      if ms > since then
        boost = boost * 2 ^ ((since - ms) / half_life)
        since = ms
      end
      boost = math.max(-LIMIT, math.min(LIMIT, boost + moved))  -- huge ratings stay finite
      redis.call('ZADD', KEYS[5], string.format('%.17g', boost), id)
      redis.call('HSET', KEYS[4], 't:' .. id, string.format('%d', since))
    end
  end
  done[#done + 1] = result
end
return done
