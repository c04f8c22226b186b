--[[
  apply_events: record or delete events of one list of one user, in order, the newest event
  time winning.
    KEYS[1] times    ZSET  item -> ms while in the list | -(ms + 1) once deleted at ms
    KEYS[2] values   HASH  item -> value (number text), for events that have one
    KEYS[3] lists    SET   "<itemtype>|<event>" of the user's lists
    ARGV[1] this list, "<itemtype>|<event>"
    ARGV[2] the events, one a line ("\n" after each), four tab-separated fields a line:
            op ('+' record, '-' delete), item, event time (ms), value ('' for none)
  Returns an array with, per event, 1 applied | 0 older than what is stored (unchanged)
]]
--- @include "byte_before"
--- @include "apply_event"
local applied = {}
for op, item, ms, value in string.gmatch(ARGV[2], '([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\n]*)\n') do
  applied[#applied + 1] = apply_event(KEYS[1], KEYS[2], KEYS[3], ARGV[1], op, item, tonumber(ms), value)
end
return applied
