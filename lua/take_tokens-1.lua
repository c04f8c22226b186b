--[[
  take_tokens: take up to N tokens from one API key's token bucket (rate limiting).
    KEYS[1] bucket   HASH  tokens (decimal), ts (ms of the last refill)
    ARGV[1] rate: tokens added per second (> 0)
    ARGV[2] burst: the bucket's capacity (>= 1)
    ARGV[3] now (ms)
    ARGV[4] tokens wanted (>= 1): one for this request, the rest a lease for the caller's
            next requests
  Returns {granted, retry_after_ms}: {n >= 1, 0} when n tokens were taken;
  {0, ms until one token is there} when the bucket is empty.
  Tokens beyond the first come only out of the bucket's upper half: near the limit every
  request takes exactly one, so tokens leased and left unspent cannot starve other callers.
  The bucket expires once it would be full again, so an idle key costs nothing.
]]
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local now, wanted = tonumber(ARGV[3]), tonumber(ARGV[4])

local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(state[1]), tonumber(state[2])
if not tokens or not ts then
  tokens, ts = burst, now
end
-- A clock behind the bucket's (another web host) adds nothing rather than going back.
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end

local granted, retry_after = 0, 0
if tokens >= 1 then
  local spare = math.floor(tokens - 1 - burst / 2)
  granted = 1 + math.max(0, math.min(wanted - 1, spare))
  tokens = tokens - granted
else
  retry_after = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.0f', ts))
-- Idle for this long, the bucket would be full: drop it (capped: a slow key lives a day).
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.min(math.ceil(burst * 1000 / rate) + 1000, 86400000)))
return {granted, retry_after}
