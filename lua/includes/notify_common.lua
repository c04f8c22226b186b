-- Records are tab-separated fields (see engine/keys.py: notify_requests, deliveries).

-- split(text): the fields of a record, as a table
local function split(text)
  local fields = {}
  for field in string.gmatch(text .. '\t', '([^\t]*)\t') do
    fields[#fields + 1] = field
  end
  return fields
end

-- request_of(text): a request record's seven fields, as a table (one match: the matching
-- scripts read every request on an item, and this is most of their time)
local function request_of(text)
  return {string.match(text, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$')}
end

-- offers_of(text): "source\tprice\thd\n" lines as a table of {source, price, hd}
local function offers_of(text)
  local offers = {}
  for source, price, hd in string.gmatch(text, '([^\t\n]*)\t([^\t\n]*)\t([^\t\n]*)\n') do
    offers[#offers + 1] = {source, price, hd}
  end
  return offers
end

local source_sets = {}  -- sources text -> set, built once a script run

-- best_offer(request, offers): the cheapest offer that suits the request (a listed source,
-- or any; price at most the asked one, or any; HD if asked), or nil
local function best_offer(request, offers)
  local allowed
  if request[4] ~= '' then
    allowed = source_sets[request[4]]
    if not allowed then
      allowed = {}
      for source in string.gmatch(request[4], '[^,]+') do
        allowed[source] = true
      end
      source_sets[request[4]] = allowed
    end
  end
  local best
  for _, offer in ipairs(offers) do
    local suits = (not allowed or allowed[offer[1]])
      and (request[2] == '' or tonumber(offer[2]) <= tonumber(request[2]))
      and (request[3] ~= '1' or offer[3] == '1')
    if suits and (not best or tonumber(offer[2]) < tonumber(best[2])) then
      best = offer
    end
  end
  return best
end

-- new_delivery(deliveries, outbox, id, due, url, user, request, item, offer, now): a pending
-- delivery, written with its outbox entry
local function new_delivery(deliveries, outbox, id, due, url, user, request_type, request_id,
                            item_type, item_id, offer, now)
  local record = {'pending', '0', '', '0', url, user, request_type, request_id, item_type, item_id,
                  offer[1], offer[2], offer[3], now, ''}
  redis.call('HSET', deliveries, id, table.concat(record, '\t'))
  redis.call('ZADD', outbox, due, id)
end

-- drop_delivery(deliveries, outbox, id): forget a delivery (a pending one is not sent)
local function drop_delivery(deliveries, outbox, id)
  if id ~= '' then
    redis.call('HDEL', deliveries, id)
    redis.call('ZREM', outbox, id)
  end
end
