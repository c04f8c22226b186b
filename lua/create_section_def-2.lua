--[[
  create_section_def: store a new section definition under the next id, unless the service
  has as many as it may.
    KEYS[1] defs  HASH    id -> the definition's JSON text
    KEYS[2] ids   STRING  the last id given out
    ARGV[1] the definition's JSON text, with the placeholder id "@ID@" to fill in
    ARGV[2] how many definitions a service may have
  Returns the new id, or -1 when the service has as many as it may
]]
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then
  return -1
end
local id = redis.call('INCR', KEYS[2])
local text = string.gsub(ARGV[1], '"@ID@"', string.format('"%d"', id), 1)
redis.call('HSET', KEYS[1], id, text)
return id
