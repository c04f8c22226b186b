-- byte_before(a, b): a sorts before b byte by byte (Lua's own < follows the server's
-- locale, so it is not used on ids or values).
local function byte_before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then
      return x < y
    end
  end
  return #a < #b
end
