--[[
  record_viewing: record one user's viewing events of one item type (progress, seen) in
  their lists and keep the user's bookmarks (continue watching) in step, in one step;
  optionally only if the user's live session is as the caller read it, changing it.
    KEYS[1] bookmarks        ZSET   "<itemtype>|<itemid>" -> last activity (ms)
    KEYS[2] marks            HASH   "<itemtype>|<itemid>" -> record: state, ms, position,
                                    episode, episode order (tab-separated)
    KEYS[3] lists            SET    "<itemtype>|<event>" of the user's lists
    KEYS[4] live             STRING the open live session, "<channel>\t<start ms>"
    KEYS[5] progress times   ZSET   of this item type (see apply_events)
    KEYS[6] progress values  HASH
    KEYS[7] seen times       ZSET
    KEYS[8] seen values      HASH
    ARGV[1] the item type
    ARGV[2] the live session expected: '*' any (not checked), '' none, else its text
    ARGV[3] the live session to leave: '*' as it is, '' none, else its text
    ARGV[4] the events, one a line ("\n" after each), ten tab-separated fields a line:
            kind ('p' progress | 's' seen), item, event time (ms), position (minutes, 'p'
            only), bookmark ("<itemtype>|<itemid>": the item, or an episode's programme),
            episode order ('' none), completes ('1': a progress past the completion
            threshold, which counts as seen too), next episode ('' none), its order,
            may start a bookmark ('1', or '0' for a micro-play)
  Returns {1, per event 1 applied | 0 older than what is stored} | {-5} when the live
  session is not the one expected (nothing changed)
]]
--- @include "byte_before"
--- @include "apply_event"
if ARGV[2] ~= '*' and (redis.call('GET', KEYS[4]) or '') ~= ARGV[2] then
  return {-5}
end
if ARGV[3] == '' then
  redis.call('DEL', KEYS[4])
elseif ARGV[3] ~= '*' then
  redis.call('SET', KEYS[4], ARGV[3])
end

local function record(state, ms, position, episode, order)
  return state .. '\t' .. string.format('%d', ms) .. '\t' .. position .. '\t' .. episode .. '\t' .. order
end

-- Move the bookmark `member` for one event; a bookmark only ever moves forward: in time,
-- and within a programme in episode order.
local function bookmark(member, kind, ms, position, order, completes, nxt, nxt_order, may_start, episode)
  local stored = redis.call('HGET', KEYS[2], member)
  local open = false
  if stored then
    local state, at, at_position, _, at_order = string.match(stored,
      '^(%a)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$')
    at = tonumber(at)
    if ms < at then
      return
    end
    open = state == 'w' or state == 'n'
    if open and order ~= '' and at_order ~= '' and tonumber(order) < tonumber(at_order) then
      return
    end
    -- At one time, as for events: an ending wins, then the furthest position of an episode.
    if ms == at and (not open or (state == 'w' and kind == 'p' and completes ~= '1' and order == at_order
        and tonumber(position) < tonumber(at_position))) then
      return
    end
  end
  if kind == 's' or completes == '1' then
    if nxt ~= '' then
      redis.call('HSET', KEYS[2], member, record('n', ms, '0', nxt, nxt_order))
      redis.call('ZADD', KEYS[1], ms, member)
    else
      redis.call('HSET', KEYS[2], member, record('x', ms, '', episode, order))
      redis.call('ZREM', KEYS[1], member)
    end
  elseif open or may_start == '1' then
    redis.call('HSET', KEYS[2], member, record('w', ms, position, episode, order))
    redis.call('ZADD', KEYS[1], ms, member)
  end
end

local progress, seen = ARGV[1] .. '|progress', ARGV[1] .. '|seen'
local applied = {1}
for kind, item, ms, position, member, order, completes, nxt, nxt_order, may_start in string.gmatch(ARGV[4],
    '([ps])\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\n]*)\n') do
  ms = tonumber(ms)
  local done
  if kind == 'p' then
    done = apply_event(KEYS[5], KEYS[6], KEYS[3], progress, '+', item, ms, position)
    if completes == '1' then
      apply_event(KEYS[7], KEYS[8], KEYS[3], seen, '+', item, ms, '')
    end
  else
    done = apply_event(KEYS[7], KEYS[8], KEYS[3], seen, '+', item, ms, '')
  end
  local episode = ''
  if order ~= '' then
    episode = ARGV[1] .. '|' .. item
  end
  bookmark(member, kind, ms, position, order, completes, nxt, nxt_order, may_start, episode)
  applied[#applied + 1] = done
end
return applied
