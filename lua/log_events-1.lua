--[[
  log_events: append events to a service's analytics log, in order (one call for many).
    KEYS[1] log      STREAM  user, event, item_type, item, value, ts, action
    ARGV[1] about how many entries the log keeps (MAXLEN ~)
    ARGV[2] the events, one a line ("\n" after each), seven tab-separated fields a line:
            user, event, item type, item, value, ts (Unix seconds), action
  Returns the number of entries appended
]]
local appended = 0
local pattern = '([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\n]*)\n'
for user, event, itemtype, item, value, ts, action in string.gmatch(ARGV[2], pattern) do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'user', user, 'event', event,
    'item_type', itemtype, 'item', item, 'value', value, 'ts', ts, 'action', action)
  appended = appended + 1
end
return appended
