"""Bookmarks: each rule of continue watching, on demand and live."""

import pytest

from engine import bookmarks, catalog, errors, events, keys, notifications, users

NOW = 1_763_800_000_000
MIN = 60_000


def put(r, item_type, item_id, **fields):
    item = catalog.validate(item_type, item_id, fields)
    notifications.put_items(r, "acme", [item], now_ms=NOW)


def watch(r, event, item_type, item_id, value=None, *, at=NOW, user="u1"):
    """Record one event as the API does; raises what it refuses."""
    made = events.make(user, event, item_type, item_id, value, at // 1000 if at % 1000 == 0 else at / 1000,
                       now_ms=NOW + 10 * 3_600_000)  # fmt: skip
    refused = bookmarks.record(r, "acme", [made])
    if refused:
        raise refused[0]


def listed(r, user="u1"):
    return bookmarks.page(r, "acme", user)[0]


def one(r, item_type, item_id, user="u1"):
    return bookmarks.get(r, "acme", user, item_type, item_id)


@pytest.fixture
def series(r):
    """Programme p with three episodes (s1e1, s1e2, s2e1) of 50 minutes, and a movie m of 100."""
    put(r, "programme", "p", name="The Show")
    for item_id, season, episode in (("e11", 1, 1), ("e12", 1, 2), ("e21", 2, 1)):
        put(r, "episode", item_id, name=f"S{season}E{episode}", programme_id="p", season=season,
            episode=episode, duration=50)  # fmt: skip
    put(r, "movie", "m", name="The Movie", duration=100)


def test_progress_on_a_movie_sets_its_position(r, series):
    watch(r, "progress", "movie", "m", 30)
    [entry] = listed(r)
    assert entry == {
        "item_type": "movie", "item_id": "m", "name": "The Movie", "episode": None,
        "position": 30, "duration": 100, "percent": 30.0, "updated": NOW // 1000,
    }  # fmt: skip
    assert one(r, "movie", "m") == entry
    assert events.values_of(r, "acme", "u1", "progress", "movie", ["m"]) == {"m": "30"}


def test_reaching_the_threshold_counts_as_seen_and_ends_a_movie(r, series):
    watch(r, "progress", "movie", "m", 30)
    watch(r, "progress", "movie", "m", 90, at=NOW + MIN)
    assert listed(r) == []
    assert events.values_of(r, "acme", "u1", "seen", "movie", ["m"]) == {"m": ""}
    with pytest.raises(errors.NotFound):
        one(r, "movie", "m")


def test_seen_on_a_movie_removes_its_bookmark(r, series):
    watch(r, "progress", "movie", "m", 30)
    watch(r, "seen", "movie", "m", at=NOW + MIN)
    assert listed(r) == []


def test_an_older_progress_arriving_late_changes_nothing(r, series):
    watch(r, "progress", "movie", "m", 40, at=NOW + MIN)
    watch(r, "progress", "movie", "m", 20, at=NOW)
    assert one(r, "movie", "m")["position"] == 40
    watch(r, "seen", "movie", "m", at=NOW + 2 * MIN)
    watch(r, "progress", "movie", "m", 20, at=NOW + MIN)  # older than the seen: no bookmark back
    assert listed(r) == []
    watch(r, "progress", "movie", "m", 5, at=NOW + 3 * MIN)  # watching it again
    assert one(r, "movie", "m")["position"] == 5


def test_episode_progress_bookmarks_the_programme(r, series):
    watch(r, "progress", "episode", "e12", 10)
    entry = one(r, "programme", "p")
    assert entry["name"] == "The Show"
    assert entry["episode"] == {
        "item_type": "episode", "item_id": "e12", "season": 1, "episode": 2, "name": "S1E2",
        "status": "in_progress",
    }  # fmt: skip
    assert (entry["position"], entry["duration"], entry["percent"]) == (10, 50, 20.0)
    assert one(r, "episode", "e12") == entry  # an episode's bookmark is its programme's
    assert bookmarks.dismiss(r, "acme", "u1", "episode", "e11", now_ms=NOW + MIN)
    assert listed(r) == []


def test_seen_on_an_episode_moves_to_the_next_in_season_order(r, series):
    watch(r, "seen", "episode", "e12")
    entry = one(r, "programme", "p")
    assert entry["episode"]["item_id"] == "e21"
    assert (entry["episode"]["season"], entry["episode"]["episode"]) == (2, 1)
    assert entry["episode"]["status"] == "up_next"
    assert (entry["position"], entry["percent"]) == (0, 0.0)


def test_finishing_an_episode_by_progress_moves_to_the_next(r, series):
    watch(r, "progress", "episode", "e11", 46)  # 92% of 50
    entry = one(r, "programme", "p")
    assert (entry["episode"]["item_id"], entry["episode"]["status"]) == ("e12", "up_next")
    assert events.values_of(r, "acme", "u1", "seen", "episode", ["e11"]) == {"e11": ""}


def test_seen_on_the_last_episode_removes_the_bookmark(r, series):
    watch(r, "progress", "episode", "e21", 10)
    watch(r, "seen", "episode", "e21", at=NOW + MIN)
    assert listed(r) == []


def test_an_older_episode_does_not_move_the_bookmark_back(r, series):
    watch(r, "progress", "episode", "e21", 10)
    watch(r, "progress", "episode", "e11", 30, at=NOW + MIN)
    entry = one(r, "programme", "p")
    assert (entry["episode"]["item_id"], entry["position"]) == ("e21", 10)
    watch(r, "seen", "episode", "e12", at=NOW + 2 * MIN)  # the one before: no move either
    assert one(r, "programme", "p")["episode"]["status"] == "in_progress"


def test_progress_on_the_next_episode_starts_it(r, series):
    watch(r, "seen", "episode", "e11")
    watch(r, "progress", "episode", "e12", 1, at=NOW + MIN)  # a micro-play, but the bookmark exists
    entry = one(r, "programme", "p")
    assert (entry["episode"]["item_id"], entry["episode"]["status"]) == ("e12", "in_progress")
    assert entry["position"] == 1


def test_micro_plays_start_no_bookmark(r, series):
    watch(r, "progress", "movie", "m", "1.5")
    assert listed(r) == []
    assert events.values_of(r, "acme", "u1", "progress", "movie", ["m"]) == {"m": "1.5"}
    watch(r, "progress", "movie", "m", 2, at=NOW + MIN)
    assert len(listed(r)) == 1


def test_settings_are_per_service(r, series):
    bookmarks.put_config(r, "acme", {"completion": 0.5, "min_minutes": 0})
    watch(r, "progress", "movie", "m", 1)
    assert len(listed(r)) == 1
    watch(r, "progress", "movie", "m", 50, at=NOW + MIN)
    assert listed(r) == []
    assert bookmarks.config(r, "other") == bookmarks.DEFAULTS


@pytest.mark.parametrize(
    "doc",
    [[], {"completion": 0.2}, {"completion": "0.9"}, {"min_minutes": -1}, {"session_hours": 0}, {"x": 1},
     {"completion": True}],
)  # fmt: skip
def test_bad_settings_are_refused_and_change_nothing(r, doc):
    with pytest.raises(errors.InvalidValue):
        bookmarks.put_config(r, "acme", doc)
    assert bookmarks.config(r, "acme") == bookmarks.DEFAULTS


def test_an_unknown_item_still_gets_a_bookmark(r):
    watch(r, "progress", "clip", "c1", 12)
    [entry] = listed(r)
    assert entry == {
        "item_type": "clip", "item_id": "c1", "name": None, "episode": None,
        "position": 12, "duration": None, "percent": None, "updated": NOW // 1000,
    }  # fmt: skip
    watch(r, "seen", "clip", "c1", at=NOW + MIN)
    assert listed(r) == []


def test_progress_beyond_three_times_the_duration_is_refused(r, series):
    before = r.keys("*")
    with pytest.raises(errors.InvalidValue, match="3 times"):
        watch(r, "progress", "movie", "m", 301)
    assert sorted(r.keys("*")) == sorted(before)
    watch(r, "progress", "movie", "m", 300)  # at the limit: counts as seen
    watch(r, "progress", "clip", "c1", 10_000)  # no duration known: no limit


def test_dismissal_sticks_until_newer_progress(r, series):
    watch(r, "progress", "movie", "m", 30)
    assert bookmarks.dismiss(r, "acme", "u1", "movie", "m", now_ms=NOW + MIN)
    assert listed(r) == []
    watch(r, "progress", "movie", "m", 35, at=NOW + MIN // 2)  # older than the dismissal
    assert listed(r) == []
    watch(r, "progress", "movie", "m", 36, at=NOW + 2 * MIN)
    assert one(r, "movie", "m")["position"] == 36
    assert not bookmarks.dismiss(r, "acme", "u1", "movie", "zz", now_ms=NOW)


def test_the_list_is_most_recent_first_and_paginated(r, series):
    for i in range(5):
        watch(r, "progress", "clip", f"c{i}", 10, at=NOW + i * MIN)
    watch(r, "progress", "clip", "c0", 11, at=NOW + 9 * MIN)
    first, cursor = bookmarks.page(r, "acme", "u1", limit=2)
    assert [e["item_id"] for e in first] == ["c0", "c4"]
    second, cursor = bookmarks.page(r, "acme", "u1", cursor=cursor, limit=2)
    third, end = bookmarks.page(r, "acme", "u1", cursor=cursor, limit=2)
    assert [e["item_id"] for e in second + third] == ["c3", "c2", "c1"]
    assert end is None
    with pytest.raises(errors.InvalidValue):
        bookmarks.page(r, "acme", "u1", limit=bookmarks.MAX_PAGE + 1)


@pytest.mark.parametrize("item_type", sorted(bookmarks.NOT_BOOKMARKED))
def test_types_that_cannot_have_a_bookmark_are_refused(r, item_type):
    with pytest.raises(errors.InvalidValue, match="cannot have a bookmark"):
        bookmarks.get(r, "acme", "u1", item_type, "x")
    with pytest.raises(errors.InvalidValue):
        bookmarks.dismiss(r, "acme", "u1", item_type, "x", now_ms=NOW)


def test_a_batch_stores_what_it_can(r, series):
    made = [
        events.make("u1", "progress", "movie", "m", 500, now_ms=NOW),
        events.make("u1", "progress", "clip", "c", 10, now_ms=NOW),
        events.make("u2", "watchlist", "movie", "m", now_ms=NOW),
        events.make("u2", "seen", "episode", "e11", now_ms=NOW),
    ]
    refused = bookmarks.record(r, "acme", made)
    assert list(refused) == [0]
    assert [e["item_id"] for e in listed(r)] == ["c"]
    assert one(r, "programme", "p", user="u2")["episode"]["item_id"] == "e12"
    assert events.values_of(r, "acme", "u2", "watchlist", "movie", ["m"]) == {"m": ""}
    assert r.xlen(keys.event_log("acme")) == 3


def test_purge_erases_bookmarks(r, series):
    watch(r, "progress", "movie", "m", 30)
    watch(r, "start", "channel", "bbc1", NOW // 1000)
    users.purge(r, "acme", "u1")
    assert not [k for k in r.keys("*") if "{acme:u1}" in k]


# Live TV


@pytest.fixture
def guide(r, series):
    """Channel bbc1: e11 from NOW to +50 min, e12 from +50 to +100, news +100 to +130."""
    slots = [
        {"start": NOW // 1000, "end": (NOW + 50 * MIN) // 1000, "item_type": "episode", "item_id": "e11"},
        {"start": (NOW + 50 * MIN) // 1000, "end": (NOW + 100 * MIN) // 1000, "item_type": "episode",
         "item_id": "e12"},
        {"start": (NOW + 100 * MIN) // 1000, "end": (NOW + 130 * MIN) // 1000, "item_type": "news",
         "item_id": "n1"},
    ]  # fmt: skip
    catalog.put_schedule(r, "acme", "bbc1", {"slots": slots}, now_ms=NOW)


def channel(r, event, at, channel_id="bbc1", user="u1"):
    watch(r, event, "channel", channel_id, at // 1000, at=at, user=user)


def test_a_session_spanning_programmes_splits(r, guide):
    channel(r, "start", NOW + 10 * MIN)
    assert listed(r) == []  # nothing until the session closes
    channel(r, "end", NOW + 110 * MIN)
    progress = events.values_of(r, "acme", "u1", "progress", "episode", ["e11", "e12"])
    assert progress == {"e11": "40", "e12": "50"}
    assert events.values_of(r, "acme", "u1", "seen", "episode", ["e11", "e12"]) == {"e12": ""}
    assert events.values_of(r, "acme", "u1", "progress", "news", ["n1"]) == {"n1": "10"}
    entry = one(r, "programme", "p")  # e12 was seen: e21 is next
    assert (entry["episode"]["item_id"], entry["episode"]["status"]) == ("e21", "up_next")
    assert one(r, "news", "n1")["position"] == 10
    assert r.get(keys.live_session("acme", "u1")) is None
    ended = str((NOW + 110 * MIN) // 1000)
    assert events.values_of(r, "acme", "u1", "end", "channel", ["bbc1"]) == {"bbc1": ended}


def test_a_start_elsewhere_ends_the_open_session(r, guide):
    channel(r, "start", NOW + 5 * MIN)
    channel(r, "start", NOW + 25 * MIN, "itv")
    assert events.values_of(r, "acme", "u1", "progress", "episode", ["e11"]) == {"e11": "20"}
    assert r.get(keys.live_session("acme", "u1")) == f"itv\t{NOW + 25 * MIN}"
    channel(r, "start", NOW + 30 * MIN, "itv")  # a new start on the same channel ends it too
    assert r.get(keys.live_session("acme", "u1")) == f"itv\t{NOW + 30 * MIN}"
    assert r.zrange(keys.live_sessions("acme"), 0, -1) == [f"u1\titv\t{NOW + 30 * MIN}"]


def test_an_end_needs_its_start(r, guide):
    before = r.keys("*")
    with pytest.raises(errors.Conflict, match="end without a start"):
        channel(r, "end", NOW + 5 * MIN)
    channel(r, "start", NOW + 10 * MIN)
    state = {k: r.dump(k) for k in r.keys("*")}
    with pytest.raises(errors.Conflict, match="end without a start"):
        channel(r, "end", NOW + 20 * MIN, "itv")
    with pytest.raises(errors.Conflict, match="end before start"):
        channel(r, "end", NOW + 5 * MIN)
    assert {k: r.dump(k) for k in r.keys("*")} == state
    assert before != state


def test_a_session_left_open_is_closed_at_its_limit(r, guide):
    channel(r, "start", NOW)
    channel(r, "start", NOW + 10 * MIN, user="u2")
    assert bookmarks.close_expired(r, "acme", now_ms=NOW + 4 * 3_600_000 - 1) == 0
    assert bookmarks.close_expired(r, "acme", now_ms=NOW + 4 * 3_600_000 + 10 * MIN) == 2
    assert r.get(keys.live_session("acme", "u1")) is None
    assert events.values_of(r, "acme", "u1", "seen", "episode", ["e11", "e12"]) == {"e11": "", "e12": ""}
    assert r.zcard(keys.live_sessions("acme")) == 0
    assert bookmarks.services_with_sessions(r) == ["acme"]


def test_the_expiry_job_leaves_a_session_that_moved_on(r, guide):
    channel(r, "start", NOW)
    r.zadd(keys.live_sessions("acme"), {"u1\tbbc1\t1": 1})  # a stale entry: that session is gone
    assert bookmarks.close_expired(r, "acme", now_ms=NOW + 60 * MIN) == 0
    assert r.zrange(keys.live_sessions("acme"), 0, -1) == [f"u1\tbbc1\t{NOW}"]


def test_a_session_of_no_length_makes_no_viewing(r, guide):
    watch(r, "progress", "episode", "e11", 30, at=NOW - MIN)
    channel(r, "start", NOW + 10 * MIN)
    channel(r, "end", NOW + 10 * MIN)
    assert one(r, "programme", "p")["position"] == 30
    assert r.get(keys.live_session("acme", "u1")) is None


def test_events_at_one_time_agree_whatever_their_order(r, series):
    watch(r, "progress", "movie", "m", 30)
    watch(r, "progress", "movie", "m", 10)  # the same time: the further position stays, as in the list
    assert one(r, "movie", "m")["position"] == 30
    assert events.values_of(r, "acme", "u1", "progress", "movie", ["m"]) == {"m": "30"}
    watch(r, "seen", "movie", "m", at=NOW + MIN)
    watch(r, "progress", "movie", "m", 10, at=NOW + MIN)  # the ending wins at its time
    assert listed(r) == []


def test_a_dismissal_of_nothing_writes_nothing(r):
    assert not bookmarks.dismiss(r, "acme", "u1", "movie", "nothing", now_ms=NOW)
    assert r.keys("*") == []


def test_a_session_counts_for_session_hours_at_most(r, guide):
    channel(r, "start", NOW - 10 * 3_600_000)  # ten hours before the guide
    channel(r, "end", NOW + 110 * MIN)
    assert events.values_of(r, "acme", "u1", "progress", "episode", ["e11", "e12"]) == {}
    assert r.get(keys.live_session("acme", "u1")) is None
