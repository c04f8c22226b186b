--[[
  delete_section_def: remove a section definition, counting the deletion (users' instances
  of it are dropped when next read or compacted; reads and events never serve them).
    KEYS[1] defs       HASH    id -> the definition's JSON text
    KEYS[2] deletions  STRING  how many definitions have been deleted (or changed type)
    KEYS[3] epochs     HASH    id -> the definition's epoch
    ARGV[1] the id
  Returns 1 when removed, 0 when there is no such definition
]]
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('INCR', KEYS[2])
return 1
