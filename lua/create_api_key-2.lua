--[[
  create_api_key: store a new API key (only its hash) and index it by its public id.
    KEYS[1] key record   HASH  service, plan, rate, burst, created_ms, revoked_ms
    KEYS[2] key ids      HASH  key id -> key hash
    ARGV[1] key id
    ARGV[2] key hash (SHA-256 hex of the key)
    ARGV[3] service name
    ARGV[4] plan: free | commercial
    ARGV[5] rate limit, requests per second ('' = the service default)
    ARGV[6] burst ('' = the service default)
    ARGV[7] now (ms)
  Returns 1 created | -3 a key with this id or hash exists (draw another key)
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -3
end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then
  return -3
end
redis.call('HSET', KEYS[1], 'key_id', ARGV[1], 'service', ARGV[3], 'plan', ARGV[4],
  'rate', ARGV[5], 'burst', ARGV[6], 'created_ms', ARGV[7])
return 1
