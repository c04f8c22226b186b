--[[
  replace_section_def: replace an existing section definition.
    KEYS[1] defs  HASH  id -> the definition's JSON text
    ARGV[1] the id
    ARGV[2] the definition's JSON text
  Returns 1 when replaced, 0 when there is no such definition
]]
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
