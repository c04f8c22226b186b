from engine import activity, events, keys, profiles, users

SVC = "acme"
NOW = 1_763_800_000_000


def test_purge_erases_profile_events_lists_and_stats(r):
    events.apply(
        r, SVC, [events.make("7", "watchlist", "movie", "9", now_ms=NOW, delete=True)]
    )  # a tombstone
    profiles.put(r, SVC, "7", {"a": 1})
    events.apply(r, SVC, [events.make("7", "watchlist", "movie", "1", now_ms=NOW)])
    activity.ingest(r, SVC, "7", {"view_data": [{"asset_id": "x", "view_time": 1}]}, delta=True, now_ms=NOW)
    profiles.put(r, SVC, "8", {"b": 2})
    users.purge(r, SVC, "7")
    assert not any("{acme:7}" in name for name in r.keys("*"))
    assert profiles.get(r, SVC, "8") is not None
    assert events.pending_log_purges(r) == [SVC]
    users.purge(r, SVC, "7")  # erasing nothing is fine


def test_every_per_user_key_is_in_the_purge_list(r):
    profiles.put(r, SVC, "7", {"a": 1})
    events.apply(r, SVC, [events.make("7", "watchlist", "movie", "1", now_ms=NOW)])
    activity.ingest(r, SVC, "7", {"view_data": [{"asset_id": "x", "view_time": 1}]}, delta=True, now_ms=NOW)
    present = {name for name in r.keys("*") if "{acme:7}" in name}
    assert present <= set(keys.user_keys(SVC, "7", r.smembers(keys.event_lists(SVC, "7"))))
