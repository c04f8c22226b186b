--[[
  assign_section_ids: give the user's section instances their ids, keeping the id an
  instance already has (ids stay the same for the same definition and basis).
    KEYS[1] instances  HASH  "k:<instance>" -> id, "i:<id>" -> instance
    ARGV[1] the instances, one a line ("\n" after each): "<instance>\t<reserved id>",
            <instance> being "<def>|<basis type>|<basis id>" and the reserved id a fresh
            one from the service's counter, used only when the instance has none
  Returns an array with, per instance, its id
]]
local ids = {}
for instance, reserved in string.gmatch(ARGV[1], '([^\t\n]*)\t([^\n]*)\n') do
  local id = redis.call('HGET', KEYS[1], 'k:' .. instance)
  if not id then
    id = reserved
    redis.call('HSET', KEYS[1], 'k:' .. instance, id, 'i:' .. id, instance)
  end
  ids[#ids + 1] = id
end
return ids
