--[[
  compact_section_boosts: bring the user's section boosts to now, dropping those that have
  faded and every instance (boost and id) of a deleted definition.
    KEYS[1] instances  HASH  "k:<instance>" -> id, "i:<id>" -> instance, "t:<id>" -> ms,
                             "g" -> the deletion count it was last cleaned at
    KEYS[2] boosts     ZSET  instance id -> boost as of "t:<id>"
    ARGV[1] now (ms)
    ARGV[2] the half-life (ms)
    ARGV[3] a boost smaller than this in size is dropped
    ARGV[4] the definitions that exist, "<id>|<type>|<epoch>", space-separated (an instance
            of a definition whose type changed since is gone too)
    ARGV[5] the service's deletion count when ARGV[4] was read
    ARGV[6] the highest definition id when ARGV[4] was read (newer ones are live)
  Returns {how many boosts are left, the instance ids dropped with their definitions...};
  {0} when the user has no instances (a purged user: nothing is written)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return {0}
end
local now, half_life, least = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local highest = tonumber(ARGV[6])
local live = {}
for def in string.gmatch(ARGV[4], '%S+') do
  live[def] = true
end
local dropped = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local field, instance = fields[i], fields[i + 1]
  if string.sub(field, 1, 2) == 'i:' then
    local def = string.match(instance, '^([^|]*|[^|]*|[^|]*)')
    if not live[def] and tonumber(string.match(def, '^[^|]*')) <= highest then
      local id = string.sub(field, 3)
      redis.call('HDEL', KEYS[1], field, 'k:' .. instance, 't:' .. id)
      redis.call('ZREM', KEYS[2], id)
      dropped[#dropped + 1] = id
    end
  end
end
redis.call('HSET', KEYS[1], 'g', ARGV[5])
local boosts = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #boosts, 2 do
  local id, boost = boosts[i], tonumber(boosts[i + 1])
  local since = tonumber(redis.call('HGET', KEYS[1], 't:' .. id) or now)
  if now > since then
    boost = boost * 2 ^ ((since - now) / half_life)
    since = now
  end
  if math.abs(boost) < least then
    redis.call('ZREM', KEYS[2], id)
    redis.call('HDEL', KEYS[1], 't:' .. id)
  else
    redis.call('ZADD', KEYS[2], string.format('%.17g', boost), id)
    redis.call('HSET', KEYS[1], 't:' .. id, string.format('%d', since))
  end
end
local result = {redis.call('ZCARD', KEYS[2])}
for _, id in ipairs(dropped) do
  result[#result + 1] = id
end
return result
