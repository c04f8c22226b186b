--[[
  replace_section_def: replace an existing section definition. A change of type retires
  the old one's instances: the definition starts a new epoch (the deletion count after
  counting this as one), which instance keys carry, so users' old instances are never
  served or used again (they are dropped when next read or compacted).
    KEYS[1] defs       HASH    id -> the definition's JSON text
    KEYS[2] deletions  STRING  how many definitions have been deleted (or changed type)
    KEYS[3] epochs     HASH    id -> the definition's epoch (absent: 0)
    ARGV[1] the id
    ARGV[2] the definition's JSON text
    ARGV[3] its type as the JSON text holds it, '"type":"<type>"'
  Returns 1 when replaced, 0 when there is no such definition
]]
local before = redis.call('HGET', KEYS[1], ARGV[1])
if not before then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if not string.find(before, ARGV[3], 1, true) then
  redis.call('HSET', KEYS[3], ARGV[1], redis.call('INCR', KEYS[2]))
end
return 1
