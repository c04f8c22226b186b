"""The catalogue: items, their episode structure and offers, and programme guides."""

from datetime import UTC, datetime

import pytest

from engine import catalog, errors, exactjson, keys, notifications

NOW = 1_763_800_000_000
HOUR = 3600


def put(r, item_type, item_id, doc, service="acme"):
    return notifications.put_items(r, service, [catalog.validate(item_type, item_id, doc)], now_ms=NOW)


def test_an_item_round_trips_exactly_with_its_type_and_id(r):
    doc = {
        "name": "Alien",
        "categories": ["sci-fi", "horror"],
        "cast": ["Sigourney Weaver"],
        "duration": 117,
        "availability": [{"source_id": 7, "price": 349, "hd": True}, {"source_id": "netflix", "price": 0}],
        "extra": {"imdb": "tt0078748", "rating": 8.50},
    }
    assert put(r, "movie", "1", doc).created == [True]
    shown = exactjson.loads(catalog.get(r, "acme", "movie", "1"))
    assert shown == {"item_type": "movie", "item_id": "1", **doc}
    exact = exactjson.loads('{"extra": {"rating": 8.50, "views": 12345678901234567890123}}')
    put(r, "movie", "2", exact)
    assert catalog.get(r, "acme", "movie", "2").endswith('"rating":8.50,"views":12345678901234567890123}}')
    assert put(r, "movie", "1", {"name": "Alien (director's cut)"}).created == [False]
    assert exactjson.loads(catalog.get(r, "acme", "movie", "1")) == {
        "item_type": "movie", "item_id": "1", "name": "Alien (director's cut)"
    }  # fmt: skip
    assert catalog.get(r, "rival", "movie", "1") is None  # services never share


def test_episodes_are_indexed_in_season_and_episode_order(r):
    for item_id, season, episode in [("e3", 2, 1), ("e1", 1, 1), ("e2", 1, 2)]:
        put(r, "episode", item_id, {"programme_id": "p1", "season": season, "episode": episode})
    assert r.zrange(keys.episodes("acme", "p1"), 0, -1) == ["episode|e1", "episode|e2", "episode|e3"]
    put(r, "episode", "e2", {"programme_id": "p2", "episode": 1})  # moved to another programme
    assert r.zrange(keys.episodes("acme", "p1"), 0, -1) == ["episode|e1", "episode|e3"]
    assert r.zrange(keys.episodes("acme", "p2"), 0, -1) == ["episode|e2"]
    assert notifications.delete_item(r, "acme", "episode", "e1")
    assert r.zrange(keys.episodes("acme", "p1"), 0, -1) == ["episode|e3"]
    assert not notifications.delete_item(r, "acme", "episode", "e1")
    assert catalog.get(r, "acme", "episode", "e1") is None


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"duration": -1}, "duration"),
        ({"duration": "90"}, "duration"),
        ({"duration": True}, "duration"),
        ({"name": ""}, "name"),
        ({"name": 7}, "name"),
        ({"categories": "drama"}, "categories"),
        ({"cast": ["ok", 3]}, "cast"),
        ({"availability": {"source_id": 1, "price": 1}}, "availability"),
        ({"availability": [{"source_id": 1}]}, "availability[0]"),
        ({"availability": [{"price": 1}]}, "availability[0]"),
        ({"availability": [{"source_id": 1, "price": -1}]}, "availability[0].price"),
        ({"availability": [{"source_id": 1, "price": 1.5}]}, "availability[0].price"),
        ({"availability": [{"source_id": 1, "price": "1"}]}, "availability[0].price"),
        ({"availability": [{"source_id": 1, "price": 1, "hd": "yes"}]}, "availability[0].hd"),
        ({"availability": [{"source_id": "a b", "price": 1}]}, "availability[0].source_id"),
        ({"availability": [{"source_id": -3, "price": 1}]}, "availability[0].source_id"),
        ({"availability": [{"source_id": 1, "price": 1, "currency": "GBP"}]}, "availability[0].currency"),
        ({"availability": ["netflix"]}, "availability[0]"),
        ({"season": 1, "episode": 2}, "programme_id"),
        ({"programme_id": "p1"}, "episode"),
        ({"programme_id": "p1", "episode": -1}, "episode"),
        ({"programme_id": "p/1", "episode": 1}, "programme_id"),
        ({"teams": "arsenal"}, "teams"),
        ({"teams": ["arsenal", ""]}, "teams[1]"),
        ({"sport": 7}, "sport"),
        ({"extra": [1]}, "extra"),
        ({"item_id": "2"}, "item_id"),
        ({"genre": "drama"}, "genre"),
    ],
)
def test_bad_items_are_refused_naming_the_field(doc, field):
    with pytest.raises(errors.InvalidValue) as caught:
        catalog.validate("movie", "1", doc)
    assert field in caught.value.fields, caught.value.fields


def test_bad_ids_in_the_path_are_refused():
    for item_type, item_id in [("Movie", "1"), ("movie", ""), ("movie", "a/b"), ("movie", "x" * 65)]:
        with pytest.raises(errors.InvalidValue):
            catalog.validate(item_type, item_id, {})


def test_a_programme_guide_is_replaced_whole_and_read_in_order(r):
    guide = {
        "slots": [
            {"start": 1_763_800_000, "end": 1_763_803_600, "item_type": "programme", "item_id": "news"},
            {
                "start": "2025-11-22T09:30:00Z",
                "end": "2025-11-22T10:10:00Z",
                "item_type": "movie",
                "item_id": "1",
            },
        ]
    }
    slots = catalog.put_schedule(r, "acme", "bbc1", guide, now_ms=NOW)
    half_past_nine = int(datetime(2025, 11, 22, 9, 30, tzinfo=UTC).timestamp()) * 1000
    assert [(s.start_ms, s.end_ms, s.item_id) for s in slots] == [
        (1_763_800_000_000, 1_763_803_600_000, "news"),
        (half_past_nine, half_past_nine + 2_400_000, "1"),
    ]
    assert catalog.get_schedule(r, "acme", "bbc1") == slots
    catalog.put_schedule(r, "acme", "bbc1", {"slots": guide["slots"][:1]}, now_ms=NOW)
    assert len(catalog.get_schedule(r, "acme", "bbc1")) == 1
    catalog.put_schedule(r, "acme", "bbc1", {"slots": []}, now_ms=NOW)
    assert catalog.get_schedule(r, "acme", "bbc1") is None
    assert catalog.get_schedule(r, "acme", "bbc2") is None


@pytest.mark.parametrize(
    ("slots", "where"),
    [
        ([(0, 3600), (1800, 7200)], "slots[1]"),  # overlaps
        ([(3600, 7200), (0, 1800)], "slots[1]"),  # out of order
        ([(3600, 3600)], "slots[0]"),  # ends when it starts
        ([(3600, 0)], "slots[0]"),  # ends before it starts
    ],
)
def test_bad_guides_are_refused_and_change_nothing(r, slots, where):
    good = {"slots": [{"start": 0, "end": 60, "item_type": "movie", "item_id": "1"}]}
    catalog.put_schedule(r, "acme", "bbc1", good, now_ms=NOW)
    start = 1_763_800_000
    doc = {
        "slots": [
            {"start": start + a, "end": start + b, "item_type": "programme", "item_id": f"p{i}"}
            for i, (a, b) in enumerate(slots)
        ]
    }
    with pytest.raises(errors.InvalidValue) as caught:
        catalog.put_schedule(r, "acme", "bbc1", doc, now_ms=NOW)
    assert where in caught.value.fields
    assert [s.item_id for s in catalog.get_schedule(r, "acme", "bbc1")] == ["1"]


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"slots": "none"},
        {"slots": [], "channel": "x"},
        {"slots": [{"start": 0, "end": 60, "item_type": "movie"}]},
        {"slots": [{"start": 0, "end": 60, "item_type": "movie", "item_id": "1", "x": 1}]},
        {"slots": [{"start": "soon", "end": 60, "item_type": "movie", "item_id": "1"}]},
        {"slots": [{"start": -5, "end": 60, "item_type": "movie", "item_id": "1"}]},
        {"slots": [{"start": 0, "end": 60, "item_type": "Movie", "item_id": "1"}]},
        {"slots": [None]},
    ],
)
def test_malformed_guides_are_refused(r, doc):
    with pytest.raises(errors.InvalidValue):
        catalog.put_schedule(r, "acme", "bbc1", doc, now_ms=NOW)
    assert catalog.get_schedule(r, "acme", "bbc1") is None


def test_items_leave_and_join_category_and_cast_indexes_as_they_change(r):
    put(r, "movie", "1", {"categories": ["Drama", "Comedy"], "cast": ["Ann"]})
    put(r, "movie", "2", {"categories": ["Drama"]})
    assert r.zrange(keys.facet("acme", "categories", "Drama"), 0, -1) == ["movie|1", "movie|2"]
    put(r, "movie", "1", {"categories": ["Comedy"], "cast": []})
    assert r.zrange(keys.facet("acme", "categories", "Drama"), 0, -1) == ["movie|2"]
    assert r.zrange(keys.facet("acme", "categories", "Comedy"), 0, -1) == ["movie|1"]
    assert not r.exists(keys.facet("acme", "cast", "Ann"))
    assert notifications.delete_item(r, "acme", "movie", "1")
    assert not r.exists(keys.facet("acme", "categories", "Comedy"))


def test_reindex_indexes_items_stored_before_the_indexes_existed(r):
    put(r, "movie", "1", {"categories": ["Drama"], "cast": ["Ann"]})
    put(r, "movie", "2", {"name": "No facets"})
    put(r, "movie", "1", {"categories": ["Drama"], "cast": ["Ann"]}, service="other")
    item = keys.catalog_item("acme", "movie", "1")
    r.hdel(item, *catalog.FACETS)  # as an item written before them
    r.delete(keys.facet("acme", "categories", "Drama"), keys.facet("acme", "cast", "Ann"))
    assert catalog.reindex(r, "acme", batch_size=1) == 1
    assert r.zrange(keys.facet("acme", "categories", "Drama"), 0, -1) == ["movie|1"]
    assert r.zrange(keys.facet("acme", "cast", "Ann"), 0, -1) == ["movie|1"]
    assert r.hget(item, "categories") == '["Drama"]'
    assert catalog.reindex(r, "acme") == 0
