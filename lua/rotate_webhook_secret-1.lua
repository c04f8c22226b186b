--[[
  rotate_webhook_secret: give a service a new webhook secret; the one it replaces keeps
  signing (as a second signature) for a while, so receivers can switch without a gap.
    KEYS[1] service      HASH  webhook_secret, previous_secret, previous_until (ms)
    ARGV[1] the new secret
    ARGV[2] until when (ms) the replaced secret also signs
  Returns 1 rotated | 0 there was none before (the new one is the first)
]]
local current = redis.call('HGET', KEYS[1], 'webhook_secret')
redis.call('HSET', KEYS[1], 'webhook_secret', ARGV[1])
if not current then
  return 0
end
redis.call('HSET', KEYS[1], 'previous_secret', current, 'previous_until', ARGV[2])
return 1
