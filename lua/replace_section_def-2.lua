--[[
  replace_section_def: replace an existing section definition; a change of type counts as
  a deletion of the old one (users' instances of it are dropped when next read).
    KEYS[1] defs       HASH    id -> the definition's JSON text
    KEYS[2] deletions  STRING  how many definitions have been deleted
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
  redis.call('INCR', KEYS[2])
end
return 1
