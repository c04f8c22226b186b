"""Section lists for users (seed 002 "Section Instance", "Events and Scoring"): instances,
order, pinning, rows, section events, decay and compaction."""

import pytest

from engine import (
    catalog,
    errors,
    events,
    intake,
    keys,
    learning,
    notifications,
    recommend,
    section_lists,
    sections,
)
from tests.conftest import snapshot

SVC = "acme"
T0 = 1_700_000_000_000
DAY = 86_400_000
EDITORS = {"type": "URL", "weight": 50, "url": "http://tanktop.tv/api/1/12345/collection/14",
           "name": "Editor's picks"}  # fmt: skip
BECAUSE = {"type": "BecauseYouWatched", "weight": 40, "name": "Because you watched {0}"}


def put(r, item_type, item_id, **doc):
    notifications.put_items(r, SVC, [catalog.validate(item_type, item_id, doc)], now_ms=T0)


def record(r, user, event, item_type, item_id, value=None, ms=T0):
    made = events.make(user, event, item_type, item_id, value, ms // 1000 if ms % 1000 == 0 else ms / 1000,
                       now_ms=ms)  # fmt: skip
    refused = intake.record(r, SVC, [made])
    learning.run(r, SVC)  # as the worker's learning job does
    return refused


def define(r, **doc):
    return sections.create(r, SVC, doc)["id"]


def shown(r, user, ms=T0):
    return section_lists.section_list(r, SVC, user, now_ms=ms)


def views(r, user, ms=T0):
    return [s.view(user, "/s/") for s in shown(r, user, ms)]


def star_trek_world(r):
    """Programme 315 "Star Trek", liked by viewers who also liked movies 1-3."""
    put(r, "programme", "315", name="Star Trek", categories=["Sci-Fi"], cast=["William Shatner"])
    for n in (1, 2, 3):
        put(r, "movie", str(n), name=f"Movie {n}", categories=["Sci-Fi"])
    for viewer in ("v1", "v2", "v3"):
        for item_type, item_id in (("programme", "315"), ("movie", "1"), ("movie", "2"), ("movie", "3")):
            assert not record(r, viewer, "seen", item_type, item_id, ms=T0 - DAY)


def test_bobs_example_from_the_seed(r):
    star_trek_world(r)
    define(r, **EDITORS)
    define(r, **BECAUSE)
    record(r, "bob", "seen", "programme", "315", ms=T0)
    first = views(r, "bob", T0)
    assert [(v["type"], v["score"]) for v in first] == [("URL", 50), ("BecauseYouWatched", 40)]
    editors, because = first
    assert because["name"] == "Because you watched Star Trek"
    assert because["basis"] == {"item_type": "programme", "item_id": 315}
    assert editors["basis"] is None and editors["url"] == EDITORS["url"]
    assert because["url"] == f"/s/{because['id']}/"
    # Bob ignores Editor's picks (25 showings: 50 -> 45) and uses BecauseYouWatched
    for n in range(25):
        assert not record(r, "bob", "displayed", "section", str(editors["id"]), ms=T0 + n * 1000)
    for n in range(10):
        assert not record(r, "bob", "displayed", "section", str(because["id"]), ms=T0 + n * 1000)
    for n in range(2):
        assert not record(r, "bob", "consumed", "section", str(because["id"]), ms=T0 + 20_000 + n * 1000)
    later = views(r, "bob", T0 + 30_000)
    assert [(v["id"], v["score"]) for v in later] == [
        (because["id"], pytest.approx(48, abs=1e-3)),
        (editors["id"], pytest.approx(45, abs=1e-3)),
    ]


def test_boosts_decay_towards_the_weight_with_the_half_life(r):
    star_trek_world(r)
    define(r, **BECAUSE)
    record(r, "bob", "seen", "programme", "315")
    [because] = views(r, "bob")
    for n in range(2):
        record(r, "bob", "consumed", "section", str(because["id"]), ms=T0 + n)  # +10
    assert views(r, "bob", T0 + 1)[0]["score"] == 50
    assert views(r, "bob", T0 + 1 + 14 * DAY)[0]["score"] == pytest.approx(45)
    assert views(r, "bob", T0 + 1 + 28 * DAY)[0]["score"] == pytest.approx(42.5)
    section_lists.put_config(r, SVC, {"half_life_days": 7})
    assert views(r, "bob", T0 + 1 + 14 * DAY)[0]["score"] == pytest.approx(42.5)


def test_instance_ids_are_stable_and_unique_in_the_service(r):
    star_trek_world(r)
    define(r, **{**BECAUSE, "count": 2})
    define(r, type="Watchlist", weight=10, name="Your list")
    record(r, "bob", "seen", "programme", "315", ms=T0)
    record(r, "bob", "watchlist", "movie", "9", ms=T0)
    record(r, "ann", "watchlist", "movie", "9", ms=T0)
    bob = {v["name"]: v["id"] for v in views(r, "bob")}
    ann = {v["name"]: v["id"] for v in views(r, "ann")}
    assert set(bob) == {"Because you watched Star Trek", "Your list"}
    assert bob == {v["name"]: v["id"] for v in views(r, "bob", T0 + DAY)}
    assert not set(bob.values()) & set(ann.values())
    put(r, "movie", "4", name="Movie 4")
    record(r, "v4", "seen", "programme", "315", ms=T0 - DAY)
    record(r, "v4", "seen", "movie", "4", ms=T0 - DAY)  # in Star Trek's row, not Movie 1's
    record(r, "bob", "seen", "movie", "1", ms=T0 + 1000)  # a newer basis comes first
    again = {v["name"]: v["id"] for v in views(r, "bob", T0 + 2000)}
    assert again["Because you watched Star Trek"] == bob["Because you watched Star Trek"]
    assert again["Because you watched Movie 1"] not in bob.values()


def test_negative_weights_pin_to_slots(r):
    star_trek_world(r)
    define(r, type="URL", weight=100, url="/a/", name="A")
    define(r, type="URL", weight=-2, url="/second/", name="Second")
    define(r, type="URL", weight=90, url="/b/", name="B")
    define(r, type="URL", weight=-1, url="/first/", name="First")
    define(r, type="URL", weight=-9, url="/last/", name="Last")
    assert [v["name"] for v in views(r, "bob")] == ["First", "Second", "A", "B", "Last"]
    assert [v["score"] for v in views(r, "bob")] == [-1, -2, 100, 90, -9]


def test_empty_sections_are_left_out_and_the_next_takes_the_slot(r):
    define(r, type="Watchlist", weight=-1, name="Your list")
    define(r, type="CurrentlyWatching", weight=5, name="Continue watching")
    define(r, **BECAUSE)
    define(r, type="URL", weight=1, url="/popular/{0}/", name="Popular")
    assert [v["name"] for v in views(r, "newbie")] == ["Popular"]
    assert views(r, "newbie")[0]["url"] == "/popular/newbie/"
    put(r, "movie", "7", name="Seven", duration=120)
    record(r, "newbie", "progress", "movie", "7", 30)
    assert [v["name"] for v in views(r, "newbie")] == ["Continue watching", "Popular"]
    record(r, "newbie", "watchlist", "movie", "8", ms=T0 + 1)
    assert [v["name"] for v in views(r, "newbie", T0 + 1)] == ["Your list", "Continue watching", "Popular"]
    record(r, "newbie", "seen", "movie", "8", ms=T0 + 2)  # seen: off the watchlist row
    assert [v["name"] for v in views(r, "newbie", T0 + 2)] == ["Continue watching", "Popular"]


def test_rows_leave_out_seen_and_hidden_items_and_never_repeat_one(r):
    star_trek_world(r)
    first = define(r, **{**BECAUSE, "count": 2, "weight": 40})
    define(r, type="Category", weight=30, name="{0} for you")
    record(r, "bob", "seen", "programme", "315", ms=T0)
    record(r, "bob", "seen", "movie", "1", ms=T0 + 1)
    record(r, "bob", "hide", "movie", "3", ms=T0 + 2)
    rows = shown(r, "bob", T0 + 3)
    assert (rows[0].definition.id, rows[0].basis) == (first, ("movie", "1"))
    everything = [item for s in rows for item in s.items]
    assert len(everything) == len(set(everything))
    assert not {("movie", "1"), ("movie", "3"), ("programme", "315")} & set(everything)
    assert ("movie", "2") in everything


def test_category_and_actor_sections_come_from_what_the_user_watches_most(r):
    put(r, "movie", "1", name="One", categories=["Comedy"], cast=["Ann Actor"])
    put(r, "movie", "2", name="Two", categories=["Comedy", "Drama"], cast=["Ann Actor"])
    put(r, "movie", "3", name="Three", categories=["Drama"], cast=["Ann Actor", "Bo Actor"])
    put(r, "movie", "4", name="Four", categories=["Comedy"], cast=["Ann Actor"])
    put(r, "movie", "5", name="Five", categories=["Horror"], cast=["Bo Actor"])
    put(r, "movie", "6", name="Six", categories=["Horror"], cast=["Ann Actor"])
    for viewer in ("v1", "v2"):
        record(r, viewer, "seen", "movie", "4")
    define(r, type="Category", weight=20, count=2, name="More {0}")
    define(r, type="BecauseYouActor", weight=10, name="Starring {0}")
    record(r, "bob", "seen", "movie", "1")
    record(r, "bob", "seen", "movie", "2")
    listed = views(r, "bob")
    assert [(v["name"], v["basis"]) for v in listed] == [
        ("More Comedy", {"item_type": "category", "item_id": "Comedy"}),
        ("More Drama", {"item_type": "category", "item_id": "Drama"}),
        ("Starring Ann Actor", {"item_type": "actor", "item_id": "Ann Actor"}),
    ]
    rows = shown(r, "bob")
    assert rows[0].items == [("movie", "4")]  # 1 and 2 are seen
    assert rows[1].items == [("movie", "3")]
    assert rows[2].items == [("movie", "6")]  # 3 and 4 are in the rows above


def test_section_items_are_those_of_the_users_list(r):
    star_trek_world(r)
    define(r, **BECAUSE)
    define(r, **EDITORS)
    record(r, "bob", "seen", "programme", "315")
    because = next(v for v in views(r, "bob") if v["type"] == "BecauseYouWatched")
    user, found = section_lists.section(r, SVC, str(because["id"]), now_ms=T0)
    assert user == "bob"
    assert found.items == [("movie", "1"), ("movie", "2"), ("movie", "3")]
    editors = next(v for v in views(r, "bob") if v["type"] == "URL")
    with pytest.raises(errors.NotFound, match="URL section"):
        section_lists.section(r, SVC, str(editors["id"]), now_ms=T0)
    for bad in ("0", "01", "x", "99999", "1" * 19):
        with pytest.raises(errors.NotFound):
            section_lists.section(r, SVC, bad, now_ms=T0)


def test_similar_item_rows_use_the_neighbour_copies_recommendations_keep(r, monkeypatch):
    """BecauseYouWatched rows read an item's neighbours as recommendations do: from this
    process's copy while it is fresh (engine/recommend.py, NEIGHBOURS_SECONDS)."""
    star_trek_world(r)
    define(r, **BECAUSE)
    record(r, "bob", "seen", "programme", "315")
    assert shown(r, "bob")[0].items == [("movie", "1"), ("movie", "2"), ("movie", "3")]
    r.delete(keys.neighbours(SVC, "programme", "315"))  # as if another process changed it
    assert shown(r, "bob")[0].items == [("movie", "1"), ("movie", "2"), ("movie", "3")]  # the copy
    monkeypatch.setattr(recommend, "NEIGHBOURS_SECONDS", 0.0)
    recommend.forget_neighbours()
    assert shown(r, "bob") == []  # read again: no similar items, so no row


def test_events_on_unknown_or_other_users_sections_are_refused_and_change_nothing(r):
    star_trek_world(r)
    define(r, **BECAUSE)
    record(r, "bob", "seen", "programme", "315")
    record(r, "ann", "seen", "programme", "315")
    [bobs] = views(r, "bob")
    [anns] = views(r, "ann")
    before = snapshot(r)
    refused = record(r, "ann", "detail", "section", str(bobs["id"]))
    assert isinstance(refused[0], errors.NotFound)
    assert record(r, "ann", "detail", "section", "424242")[0].status == 404
    assert snapshot(r) == before
    assert not record(r, "ann", "detail", "section", str(anns["id"]))


def test_deleted_definitions_are_never_served_and_their_instances_go(r):
    star_trek_world(r)
    gone = define(r, **BECAUSE)
    define(r, **EDITORS)
    record(r, "bob", "seen", "programme", "315")
    because = next(v for v in views(r, "bob") if v["type"] == "BecauseYouWatched")
    record(r, "bob", "consumed", "section", str(because["id"]))
    sections.delete(r, SVC, gone)
    assert [v["type"] for v in views(r, "bob")] == ["URL"]
    assert record(r, "bob", "consumed", "section", str(because["id"]))[0].status == 404
    with pytest.raises(errors.NotFound):
        section_lists.section(r, SVC, str(because["id"]), now_ms=T0)
    held = r.hgetall(keys.section_instances(SVC, "bob"))
    assert not any(value.startswith(f"{gone}|") for value in held.values())
    assert r.zscore(keys.section_boosts(SVC, "bob"), str(because["id"])) is None


def test_compaction_rewrites_boosts_and_drops_faded_ones(r):
    star_trek_world(r)
    define(r, **BECAUSE)
    record(r, "bob", "seen", "programme", "315")
    [because] = views(r, "bob")
    record(r, "bob", "consumed", "section", str(because["id"]))
    assert section_lists.services_with_boosts(r) == [SVC]
    assert section_lists.compact(r, SVC, now_ms=T0 + DAY) == 0  # not due yet
    assert section_lists.compact(r, SVC, now_ms=T0 + 14 * DAY) == 1
    assert float(r.zscore(keys.section_boosts(SVC, "bob"), str(because["id"]))) == pytest.approx(2.5)
    assert views(r, "bob", T0 + 14 * DAY)[0]["score"] == pytest.approx(42.5)
    assert section_lists.compact(r, SVC, now_ms=T0 + 400 * DAY) == 1
    assert r.zcard(keys.section_boosts(SVC, "bob")) == 0
    assert r.zcard(keys.section_boosted(SVC)) == 0  # an idle user costs nothing
    assert views(r, "bob", T0 + 400 * DAY)[0]["score"] == 40


def test_a_purge_forgets_the_users_sections(r):
    from engine import users

    star_trek_world(r)
    define(r, **BECAUSE)
    record(r, "bob", "seen", "programme", "315")
    [because] = views(r, "bob")
    record(r, "bob", "consumed", "section", str(because["id"]))
    users.purge(r, SVC, "bob")
    assert not r.exists(keys.section_instances(SVC, "bob"), keys.section_boosts(SVC, "bob"))
    assert r.zcard(keys.section_boosted(SVC)) == 0
    with pytest.raises(errors.NotFound):
        section_lists.section(r, SVC, str(because["id"]), now_ms=T0)


def test_huge_ratings_keep_boosts_finite(r):
    define(r, **EDITORS)
    [editors] = views(r, "bob")
    for n, rating in enumerate(("1e300", "1e300", "-1e300", "1e300")):
        assert not record(r, "bob", "rated", "section", str(editors["id"]), rating, ms=T0 + n)
    assert views(r, "bob", T0 + 10)[0]["score"] == pytest.approx(1e6 + 50)


def test_deleting_a_section_event_checks_the_instance_and_leaves_the_score(r):
    define(r, **EDITORS)
    [editors] = views(r, "bob")
    record(r, "bob", "consumed", "section", str(editors["id"]))
    before = snapshot(r)
    for user, instance in (("bob", "424242"), ("ann", str(editors["id"]))):
        with pytest.raises(errors.NotFound):
            intake.delete(
                r, SVC, events.make(user, "consumed", "section", instance, now_ms=T0 + 1, delete=True)
            )
    assert snapshot(r) == before
    intake.delete(
        r, SVC, events.make("bob", "consumed", "section", str(editors["id"]), now_ms=T0 + 1, delete=True)
    )
    assert events.values_of(r, SVC, "bob", "consumed", "section", [str(editors["id"])]) == {}
    assert views(r, "bob", T0 + 1)[0]["score"] == pytest.approx(55)


@pytest.mark.parametrize("name", ["Sci\tFi", "Sci\nFi", "Sci|Fi {0} }{", "x" * 500])
def test_any_category_name_makes_a_working_section(r, name):
    put(r, "movie", "1", name="One", categories=[name])
    put(r, "movie", "2", name="Two", categories=[name])
    define(r, type="Category", weight=1, name="More {0}")
    record(r, "bob", "seen", "movie", "1")
    [row] = views(r, "bob")
    assert row["name"] == f"More {name}" and row["basis"] == {"item_type": "category", "item_id": name}
    assert views(r, "bob")[0]["id"] == row["id"]
    user, found = section_lists.section(r, SVC, str(row["id"]), now_ms=T0)
    assert (user, found.items) == ("bob", [("movie", "2")])


def test_compaction_keeps_instances_of_definitions_made_after_it_read_them(r):
    define(r, **EDITORS)
    [editors] = views(r, "bob")
    record(r, "bob", "consumed", "section", str(editors["id"]))
    sections.delete(r, SVC, sections.create(r, SVC, {**EDITORS, "name": "Gone"})["id"])
    live = "1|URL|0"
    keys_ = [keys.section_instances(SVC, "bob"), keys.section_boosts(SVC, "bob")]
    args = [T0, 14 * DAY, section_lists.FADED, live, "1", "2"]
    # a definition 3 made (and shown to bob) after the job read definitions 1 and 2
    newer = define(r, type="URL", weight=1, url="/n/", name="New")
    ids_before = {v["name"]: v["id"] for v in views(r, "bob")}
    section_lists._compact(r, keys_, args)
    assert {v["name"]: v["id"] for v in views(r, "bob")} == ids_before
    assert newer == "3"


def test_a_change_of_type_retires_instances_for_good(r):
    put(r, "movie", "1", name="One", categories=["Drama"], cast=["Ann"])
    put(r, "movie", "2", name="Two", categories=["Drama"], cast=["Ann"])
    changing = define(r, type="Category", weight=1, name="More {0}")
    for user in ("u6", "u7"):
        record(r, user, "seen", "movie", "1")
    old = {user: views(r, user)[0]["id"] for user in ("u6", "u7")}
    sections.replace(r, SVC, changing, {"type": "BecauseYouActor", "weight": 1, "name": "Starring {0}"})
    views(r, "u6")  # read in between: u6's old instance goes then
    sections.replace(r, SVC, changing, {"type": "Category", "weight": 1, "name": "More {0}"})
    for user in ("u6", "u7"):
        [again] = views(r, user)
        assert again["id"] != old[user]
        assert record(r, user, "detail", "section", str(old[user]))[0].status == 404
        with pytest.raises(errors.NotFound):
            section_lists.section(r, SVC, str(old[user]), now_ms=T0)
    sections.replace(r, SVC, changing, {"type": "Category", "weight": 5, "name": "More {0}!"})
    assert views(r, "u7")[0]["id"] == again["id"]  # other changes keep the instances


def test_a_url_sections_user_id_is_percent_encoded(r):
    define(r, type="URL", weight=1, url="/api/1/k/recommend/{0}/?for={0}", name="For you")
    [row] = views(r, "a+b@c")
    assert row["url"] == "/api/1/k/recommend/a%2Bb%40c/?for=a%2Bb%40c"


def test_lists_too_long_to_read_whole_still_keep_seen_items_out(r, monkeypatch):
    monkeypatch.setattr(section_lists, "LIST_READ", 2)
    star_trek_world(r)
    define(r, **{**BECAUSE, "count": 2})
    define(r, type="Watchlist", weight=1, name="Your list")
    record(r, "bob", "seen", "movie", "2", ms=T0)  # the oldest: not among the newest read
    record(r, "bob", "watchlist", "movie", "3", ms=T0 + 1)
    for n in range(5):
        record(r, "bob", "seen", "tv", f"filler{n}", ms=T0 + 10 + n)
        record(r, "bob", "watchlist", "tv", f"later{n}", ms=T0 + 10 + n)
    record(r, "bob", "seen", "programme", "315", ms=T0 + 100)
    rows = {s.definition.type: s for s in shown(r, "bob", T0 + 200)}
    because = rows["BecauseYouWatched"]
    assert because.basis == ("programme", "315")
    assert because.items == [("movie", "1")]  # 2 is seen, 3 on the watchlist
    assert ("movie", "3") in rows["Watchlist"].items
