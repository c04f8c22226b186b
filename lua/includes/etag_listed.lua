-- etag_listed(etag, list): is `etag` one of the space-separated etags in `list`?
local function etag_listed(etag, list)
  return string.find(' ' .. list .. ' ', ' ' .. etag .. ' ', 1, true) ~= nil
end
