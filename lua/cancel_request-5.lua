--[[
  cancel_request: remove a user's notification request on one item, or follow; a delivery
  not yet sent is not sent, and a follow forgets what it told the user.
    KEYS[1] requests     HASH  user -> request
    KEYS[2] user index   SET   "<itemtype>|<itemid>" of the user's requests
    KEYS[3] deliveries   HASH  delivery id -> delivery
    KEYS[4] outbox       ZSET  delivery id -> due ms
    KEYS[5] sent         SET   a follow's "<user>|<itemtype>|<itemid>" already told
    ARGV[1] the user
    ARGV[2] "<itemtype>|<itemid>"
    ARGV[3] 1 when it is a follow
  Returns 1 removed | 0 there was none
]]
--- @include "notify_common"
redis.call('SREM', KEYS[2], ARGV[2])
local before = redis.call('HGET', KEYS[1], ARGV[1])
if not before then
  return 0
end
drop_delivery(KEYS[3], KEYS[4], split(before)[6])
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[3] == '1' then
  -- user ids hold none of the glob's special characters (* ? [ ] \)
  local cursor = '0'
  repeat
    local page = redis.call('SSCAN', KEYS[5], cursor, 'MATCH', ARGV[1] .. '|*', 'COUNT', 1000)
    cursor = page[1]
    if #page[2] > 0 then
      redis.call('SREM', KEYS[5], unpack(page[2]))
    end
  until cursor == '0'
end
return 1
