--[[
  apply_events: record or delete events of one user, in order, newest event time winning.
    KEYS[1] values   HASH  "<itemtype>|<event>|<item>" -> "<ms>=<value>" | "<ms>!" (deleted)
    KEYS[2] order    ZSET  score 0, "<itemtype>|<event>|<inverted ms>|<item>" (newest first)
    KEYS[3] lists    SET   "<itemtype>|<event>"
    ARGV[1..] six per event: op ('+' record, '-' delete), item type, event, item,
              event time (ms), value ('' for none; ignored on delete)
  Returns an array with, per event, 1 applied | 0 older than what is stored (unchanged)
]]
--- @include "apply_event"
local applied = {}
for i = 1, #ARGV, 6 do
  applied[#applied + 1] = apply_event(KEYS[1], KEYS[2], KEYS[3], ARGV[i], ARGV[i + 1], ARGV[i + 2],
    ARGV[i + 3], tonumber(ARGV[i + 4]), ARGV[i + 5])
end
return applied
