-- rescale_popularity(scores, landmark_key, landmark, new_landmark, half_life): move the
-- landmark of a forward-decayed popularity set to `new_landmark` (ms, later), scaling every
-- score by 2^(-(new - old) / half-life) in one command; scores that fade to nothing go.
-- Returns the new landmark. LANDMARK_SPAN: half-lives past the landmark that an event may
-- be before the landmark must move (2^600 is far inside a double's range).
local LANDMARK_SPAN = 600

local function rescale_popularity(scores, landmark_key, landmark, new_landmark, half_life)
  local factor = 2 ^ (-(new_landmark - landmark) / half_life)
  redis.call('ZUNIONSTORE', scores, 1, scores, 'WEIGHTS', string.format('%.17g', factor))
  redis.call('ZREMRANGEBYSCORE', scores, '-inf', 1e-250)
  redis.call('SET', landmark_key, string.format('%d', new_landmark))
  return new_landmark
end
