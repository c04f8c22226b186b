--[[
  assign_section_ids: give the user's section instances their ids, keeping the id an
  instance already has (ids stay the same for the same definition and basis).
    KEYS[1] instances  HASH  "k:<instance>" -> id, "i:<id>" -> instance, "g" -> deletions
    ARGV[1] the service's deletion count (kept as "g" when the hash is new: it holds no
            instance of a deleted definition)
    ARGV[2..] pairs: an instance ("<def>|<type>|<basis type>|<basis id>", any
            characters) and a fresh id reserved from the service's counter, used only when
            the instance has none
  Returns an array with, per instance, its id
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'g', ARGV[1])
end
local ids = {}
for i = 2, #ARGV, 2 do
  local instance, reserved = ARGV[i], ARGV[i + 1]
  local id = redis.call('HGET', KEYS[1], 'k:' .. instance)
  if not id then
    id = reserved
    redis.call('HSET', KEYS[1], 'k:' .. instance, id, 'i:' .. id, instance)
  end
  ids[#ids + 1] = id
end
return ids
