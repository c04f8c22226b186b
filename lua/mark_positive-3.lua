--[[
  mark_positive: note the items of one of the user's lists that now count for the user's
  recommendations (a positive event on each), each once: a repeated event adds nothing, and
  an item not in the list after all (a newer deletion won) counts for nothing. Each newly
  counted item joins the user's pending learning, which the learner (engine/learning.py)
  turns into co-occurrence pairs off the request path. Runs after the events' own script,
  so the outcome does not depend on their order of arrival.
    KEYS[1] history  ZSET  "<itemtype>|<itemid>" -> when the item first counted (ms)
    KEYS[2] times    ZSET  the list: item id -> event time (ms; a deletion's tombstone < 0)
    KEYS[3] pending  LIST  "<itemtype>|<itemid>\t<ms>", oldest first: still to be learnt
    ARGV[1] the list's item type
    ARGV[2] the items, one a line ("\n" after each): item id \t ms
  Returns an array: per line, 1 newly counted | 0 not
]]
local reply = {}
for item, ms in string.gmatch(ARGV[2], '([^\t]*)\t([^\n]*)\n') do
  local member = ARGV[1] .. '|' .. item
  local listed = tonumber(redis.call('ZSCORE', KEYS[2], item) or '-1')
  if listed >= 0 and redis.call('ZADD', KEYS[1], 'NX', ms, member) == 1 then
    redis.call('RPUSH', KEYS[3], member .. '\t' .. ms)
    reply[#reply + 1] = 1
  else
    reply[#reply + 1] = 0
  end
end
return reply
