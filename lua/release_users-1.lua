--[[
  release_users: a purged user no longer counts for the items the user had; an item no
  user counts for any more is forgotten.
    KEYS[1] users  HASH  "<itemtype>|<itemid>" -> how many users the item counts for
    ARGV[1] the items, one a line ("\n" after each)
  Returns the number of items forgotten
]]
local forgotten = 0
for member in string.gmatch(ARGV[1], '([^\n]*)\n') do
  if redis.call('HEXISTS', KEYS[1], member) == 1 then
    if redis.call('HINCRBY', KEYS[1], member, -1) <= 0 then
      redis.call('HDEL', KEYS[1], member)
      forgotten = forgotten + 1
    end
  end
end
return forgotten
