import pytest

from engine import activity, errors, events, keys

SVC = "acme"
NOW = 1_763_800_000_000
SUB = "user@example.org"


def ingest(r, upload, delta=True, now=NOW):
    activity.ingest(r, SVC, SUB, upload, delta=delta, now_ms=now)


def stored(r):
    return activity.read(r, SVC, SUB)


FULL = {
    "favorites": ["a1", "a2"],
    "view_data": [
        {
            "asset_id": "a1",
            "play_count": 2,
            "view_time": 300,
            "pause_time": 120,
            "last_played_on": 1763799000000,
            "user_rating": 4,
        },
        {"asset_id": "a3", "view_time": 60},
    ],
}


def test_an_upload_is_stored_and_read_back(r):
    ingest(r, FULL)
    assert stored(r) == {
        "user_id": SUB,
        "favorites": ["a2", "a1"],  # newest first; uploaded together: by id, descending
        "view_data": [
            {
                "asset_id": "a1",
                "play_count": 2,
                "view_time": 300,
                "pause_time": 120,
                "last_played_on": 1763799000000,
                "user_rating": 4,
            },
            {"asset_id": "a3", "view_time": 60},
        ],
    }


def test_favorites_are_the_watchlist_and_ratings_the_rated_event(r):
    ingest(r, FULL)
    assert events.values_of(r, SVC, SUB, "watchlist", "asset", ["a1", "a2", "a3"]) == {"a1": "", "a2": ""}
    assert events.values_of(r, SVC, SUB, "rated", "asset", ["a1"]) == {"a1": "4"}


def test_a_delta_keeps_what_it_does_not_name(r):
    ingest(r, FULL)
    ingest(r, {"view_data": [{"asset_id": "a1", "user_rating": 2}]}, now=NOW + 1)
    after = stored(r)
    assert sorted(after["favorites"]) == ["a1", "a2"]
    assert after["view_data"][0] == {
        "asset_id": "a1",
        "play_count": 2,
        "view_time": 300,
        "pause_time": 120,
        "last_played_on": 1763799000000,
        "user_rating": 2,
    }


def test_new_favorites_replace_the_old_and_an_empty_list_erases_them(r):
    ingest(r, FULL)
    ingest(r, {"favorites": ["a2", "a5"]}, now=NOW + 1)
    assert sorted(stored(r)["favorites"]) == ["a2", "a5"]
    ingest(r, {"favorites": []}, now=NOW + 2)
    assert stored(r)["favorites"] == []
    assert len(stored(r)["view_data"]) == 2


def test_a_full_upload_replaces_everything(r):
    ingest(r, FULL)
    ingest(r, {"view_data": [{"asset_id": "a9", "play_count": 1}]}, delta=False, now=NOW + 1)
    assert stored(r) == {"user_id": SUB, "favorites": [], "view_data": [{"asset_id": "a9", "play_count": 1}]}
    assert events.values_of(r, SVC, SUB, "rated", "asset", ["a1"]) == {}


def test_other_item_types_are_left_alone(r):
    events.apply(r, SVC, [events.make(SUB, "watchlist", "movie", "m1", now_ms=NOW)])
    ingest(r, {"favorites": []}, delta=False, now=NOW + 1)
    assert events.values_of(r, SVC, SUB, "watchlist", "movie", ["m1"]) == {"m1": ""}


@pytest.mark.parametrize(
    ("upload", "field"),
    [
        ([1], None),
        ({"favorite": []}, "favorite"),
        ({"favorites": "a1"}, "favorites"),
        ({"favorites": ["a 1"]}, "favorites[0]"),
        ({"view_data": {}}, "view_data"),
        ({"view_data": [{"play_count": 1}]}, "view_data[0].asset_id"),
        ({"view_data": [{"asset_id": "a", "colour": 1}]}, "view_data[0].colour"),
        ({"view_data": [{"asset_id": "a", "play_count": -1}]}, "view_data[0].play_count"),
        ({"view_data": [{"asset_id": "a", "view_time": 1.5}]}, "view_data[0].view_time"),
        ({"view_data": [{"asset_id": "a", "pause_time": "10"}]}, "view_data[0].pause_time"),
        (
            {"view_data": [{"asset_id": "a", "last_played_on": NOW + 3_600_000}]},
            "view_data[0].last_played_on",
        ),
        ({"view_data": [{"asset_id": "a", "user_rating": 5.5}]}, "view_data[0].user_rating"),
        ({"view_data": [{"asset_id": "a", "user_rating": -1}]}, "view_data[0].user_rating"),
        ({"view_data": [{"asset_id": "a", "user_rating": True}]}, "view_data[0].user_rating"),
        ({"view_data": [{"asset_id": "a"}, {"asset_id": "a"}]}, "view_data[1].asset_id"),
        ({"user_id": "someone@else"}, "user_id"),
    ],
)
def test_anything_wrong_refuses_the_whole_upload(r, upload, field):
    ingest(r, FULL)
    before = {name: r.dump(name) for name in r.keys("*") if "{acme:" in name}
    with pytest.raises(errors.InvalidValue) as caught:
        ingest(r, upload, now=NOW + 1)
    if field:
        assert field in caught.value.fields
    assert {name: r.dump(name) for name in r.keys("*") if "{acme:" in name} == before


def test_a_matching_user_id_in_the_body_is_fine(r):
    ingest(r, {"user_id": SUB, "favorites": ["a1"]})
    assert stored(r)["favorites"] == ["a1"]


def test_stats_live_with_the_users_other_keys(r):
    ingest(r, FULL)
    assert keys.activity_stats(SVC, SUB) in keys.user_keys(SVC, SUB)


@pytest.mark.parametrize("number", ["1e5000", "9" * 4301, "1e400", "9007199254740992"])
def test_stats_beyond_what_json_readers_hold_are_refused(r, number):
    from engine import exactjson

    upload = exactjson.loads('{"view_data": [{"asset_id": "a", "play_count": ' + number + "}]}")
    with pytest.raises(errors.InvalidValue) as caught:
        ingest(r, upload)
    assert "from 0 to" in caught.value.fields["view_data[0].play_count"][0]


def test_a_full_upload_replaces_items_stamped_ahead_of_now(r):
    events.apply(r, SVC, [events.make(SUB, "watchlist", "asset", "x", ts=(NOW + 120_000) / 1000, now_ms=NOW)])
    ingest(r, {"favorites": ["y"]}, delta=False)
    assert stored(r)["favorites"] == ["y"]
    ingest(r, {"favorites": ["x"]}, delta=False, now=NOW + 1)
    assert stored(r)["favorites"] == ["x"]


def test_uploads_go_to_the_analytics_log(r):
    ingest(r, FULL)
    ingest(r, {"favorites": ["a2"]}, now=NOW + 1)
    entries = [(f["event"], f["item"], f["action"]) for _, f in r.xrange(keys.event_log(SVC))]
    assert ("watchlist", "a1", "record") in entries and ("rated", "a1", "record") in entries
    assert entries[-1] == ("watchlist", "a1", "delete") or ("watchlist", "a1", "delete") in entries


def test_pause_time_feeds_the_bookmarks(r):
    from engine import bookmarks, catalog, notifications

    ingest(r, FULL)
    [entry] = bookmarks.page(r, SVC, SUB)[0]
    assert (entry["item_type"], entry["item_id"], entry["position"]) == ("asset", "a1", 2)
    assert entry["updated"] == 1763799000
    ingest(r, {"view_data": [{"asset_id": "a1", "pause_time": 1800, "last_played_on": 1763799500000}]})
    assert bookmarks.get(r, SVC, SUB, "asset", "a1")["position"] == 30
    ingest(r, {"view_data": [{"asset_id": "a1", "pause_time": 600, "last_played_on": 1763799100000}]})
    assert bookmarks.get(r, SVC, SUB, "asset", "a1")["position"] == 30  # an older resume point
    item = catalog.validate("asset", "a9", {"duration": 10})
    notifications.put_items(r, SVC, [item], now_ms=NOW)
    before = {k: r.dump(k) for k in r.keys("*")}
    with pytest.raises(errors.InvalidValue) as refused:
        ingest(
            r, {"favorites": [], "view_data": [{"asset_id": "a2"}, {"asset_id": "a9", "pause_time": 1801}]}
        )
    assert list(refused.value.fields) == ["view_data[1].pause_time"]
    assert {k: r.dump(k) for k in r.keys("*")} == before
    ingest(r, {"view_data": [{"asset_id": "a9", "pause_time": 570}]})  # 95%: finished
    assert [e["item_id"] for e in bookmarks.page(r, SVC, SUB)[0]] == ["a1"]


def test_a_resume_point_at_time_zero_keeps_its_time(r):
    from engine import bookmarks

    ingest(r, {"view_data": [{"asset_id": "a1", "pause_time": 600, "last_played_on": 0}]})
    assert bookmarks.get(r, SVC, SUB, "asset", "a1")["updated"] == 0
