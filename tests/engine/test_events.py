import pytest

from engine import errors, events, keys

SVC = "acme"
NOW = 1_763_800_000_000


def make(*args, **kwargs):
    return events.make(*args, now_ms=NOW, **kwargs)


def at(seconds_ago):
    return (NOW - seconds_ago * 1000) / 1000


@pytest.mark.parametrize(
    ("event", "value", "stored"),
    [
        ("watchlist", None, ""),
        ("seen", None, ""),
        ("hide", None, ""),
        ("rated", "4.50", "4.50"),
        ("rated", "-2", "-2"),
        ("rated", 3, "3"),
        ("progress", "12.5", "12.5"),
        ("progress", "0", "0"),
        ("start", None, "1763800000"),
        ("end", "1763799990", "1763799990"),
        ("end", "2025-11-22T08:13:20Z", "1763799200"),
        ("detail", None, ""),
        ("displayed", None, ""),
        ("likes", None, ""),
        ("likes", "7", "7"),
    ],
)
def test_values_per_event(event, value, stored):
    assert make("7", event, "movie", "1", value).value == stored


@pytest.mark.parametrize(
    ("event", "value", "message"),
    [
        ("watchlist", "1", "takes no value"),
        ("seen", "", "takes no value"),
        ("rated", None, "needs a value"),
        ("rated", "NaN", "must be a number"),
        ("rated", "inf", "must be a number"),
        ("rated", "1e999", "out of range"),
        ("rated", "4,5", "must be a number"),
        ("rated", True, "must be a number"),
        ("progress", None, "needs a value"),
        ("progress", "-1", "cannot be negative"),
        ("start", "soon", "Unix seconds or an ISO 8601"),
        ("end", str(NOW // 1000 + 3600), "in the future"),
        ("likes", "lots", "must be a number"),
    ],
)
def test_bad_values_are_refused(event, value, message):
    with pytest.raises(errors.InvalidValue, match=message):
        make("7", event, "movie", "1", value)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("7 7", "seen", "movie", "1"), "user id"),
        (("7", "Seen", "movie", "1"), "event name"),
        (("7", "seen", "Movie", "1"), "item type"),
        (("7", "seen", "movie", "a/b"), "item id"),
        (("7", "seen", "movie", "x" * 65), "item id"),
        (("7", "seen", "movie", ".."), "item id"),
    ],
)
def test_ids_outside_their_charset_are_refused(args, field):
    with pytest.raises(errors.InvalidValue) as caught:
        make(*args)
    assert field in caught.value.fields


def test_the_seed_example(r):
    events.apply(r, SVC, [make("7", "watchlist", "movie", "1"), make("7", "watchlist", "movie", "24")])
    assert events.values_of(r, SVC, "7", "watchlist", "movie", ["1", "24", "72"]) == {"1": "", "24": ""}


def test_newest_event_time_wins_whatever_the_arrival_order(r):
    late = make("7", "rated", "movie", "1", "2", ts=at(60))
    fresh = make("7", "rated", "movie", "1", "5", ts=at(10))
    assert events.apply(r, SVC, [fresh, late]) == [True, False]
    assert events.values_of(r, SVC, "7", "rated", "movie", ["1"]) == {"1": "5"}
    assert events.apply(r, SVC, [fresh]) == [False]  # a retry: nothing to change
    assert events.values_of(r, SVC, "7", "rated", "movie", ["1"]) == {"1": "5"}


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_at_equal_times_the_outcome_does_not_depend_on_arrival(r, order):
    same = [make("7", "rated", "movie", "1", value, ts=at(30)) for value in ("2", "5", "3")]
    events.apply(r, SVC, [same[i] for i in order])
    assert events.values_of(r, SVC, "7", "rated", "movie", ["1"]) == {"1": "5"}  # the greater value
    record, delete = (
        make("7", "seen", "movie", "2", ts=at(30)),
        make("7", "seen", "movie", "2", ts=at(30), delete=True),
    )
    events.apply(r, SVC, [record, delete, record] if order[0] else [delete, record])
    assert events.values_of(r, SVC, "7", "seen", "movie", ["2"]) == {}  # a deletion beats a record


def test_a_late_event_cannot_undo_a_newer_deletion(r):
    events.apply(r, SVC, [make("7", "watchlist", "movie", "1", ts=at(60))])
    events.apply(r, SVC, [make("7", "watchlist", "movie", "1", ts=at(30), delete=True)])
    assert events.apply(r, SVC, [make("7", "watchlist", "movie", "1", ts=at(45))]) == [False]
    assert events.values_of(r, SVC, "7", "watchlist", "movie", ["1"]) == {}
    assert events.apply(r, SVC, [make("7", "watchlist", "movie", "1", ts=at(5))]) == [True]
    assert events.values_of(r, SVC, "7", "watchlist", "movie", ["1"]) == {"1": ""}


def test_an_older_deletion_changes_nothing(r):
    events.apply(r, SVC, [make("7", "watchlist", "movie", "1", ts=at(10))])
    assert events.apply(r, SVC, [make("7", "watchlist", "movie", "1", ts=at(20), delete=True)]) == [False]
    assert events.values_of(r, SVC, "7", "watchlist", "movie", ["1"]) == {"1": ""}


def all_pages(r, user, event, item_type, limit):
    """Every item of a list, read a page at a time through the cursors."""
    items, cursor = [], None
    while True:
        entries, cursor = events.page(r, SVC, user, event, item_type, cursor=cursor, limit=limit)
        items += [e.item for e in entries]
        if cursor is None:
            return items


def test_lists_page_newest_first_with_exact_cursors(r):
    batch = [make("7", "seen", "movie", str(i), ts=at(100 - i)) for i in range(25)]
    batch += [make("7", "seen", "movie", "tie-a", ts=at(50)), make("7", "seen", "movie", "tie-b", ts=at(50))]
    batch += [make("7", "seen", "show", "other"), make("7", "rated", "movie", "x", "1")]
    events.apply(r, SVC, batch)
    seen = all_pages(r, "7", "seen", "movie", limit=4)
    assert len(seen) == 27 and len(set(seen)) == 27
    assert seen[:3] == ["tie-b", "tie-a", "24"] and seen[-1] == "0"  # same time: by id, descending
    times_seen = [e.ms for e in events.page(r, SVC, "7", "seen", "movie", limit=1000)[0]]
    assert times_seen == sorted(times_seen, reverse=True)


def test_cursors_hold_across_items_of_the_same_time(r):
    events.apply(r, SVC, [make("7", "seen", "movie", name, ts=at(5)) for name in "abcdefg"])
    events.apply(r, SVC, [make("7", "seen", "movie", "z", ts=at(9))])
    assert all_pages(r, "7", "seen", "movie", limit=3) == ["g", "f", "e", "d", "c", "b", "a", "z"]


def test_a_re_recorded_item_moves_to_the_front(r):
    events.apply(
        r, SVC, [make("7", "seen", "movie", "a", ts=at(30)), make("7", "seen", "movie", "b", ts=at(20))]
    )
    events.apply(r, SVC, [make("7", "seen", "movie", "a", ts=at(10))])
    assert [e.item for e in events.page(r, SVC, "7", "seen", "movie")[0]] == ["a", "b"]


@pytest.mark.parametrize("cursor", ["!!!", "bm90LWEtbWVtYmVy", "MTIzfGEgYg", "eHx5"])
def test_foreign_or_broken_cursors_are_refused(r, cursor):
    with pytest.raises(errors.InvalidValue, match="cursor"):
        events.page(r, SVC, "7", "seen", "movie", cursor=cursor)


def test_page_size_is_bounded(r):
    for size in (0, 1001):
        with pytest.raises(errors.InvalidValue, match="limit"):
            events.page(r, SVC, "7", "seen", "movie", limit=size)


def test_memberships_answer_every_list_of_the_item_type(r):
    events.apply(
        r,
        SVC,
        [
            make("7", "watchlist", "movie", "1"),
            make("7", "rated", "movie", "24", "4"),
            make("7", "seen", "movie", "72"),
            make("7", "seen", "show", "1"),
            make("7", "hide", "movie", "1"),
            make("7", "hide", "movie", "1", delete=True),
        ],
    )
    found = events.memberships(r, SVC, "7", "movie", ["1", "24", "99"])
    assert found == {"rated": {"24": "4"}, "watchlist": {"1": ""}}


def test_more_than_a_thousand_ids_are_refused(r):
    many = [str(i) for i in range(1001)]
    for ask in (
        lambda: events.values_of(r, SVC, "7", "seen", "movie", many),
        lambda: events.memberships(r, SVC, "7", "movie", many),
        lambda: events.filter_items(r, SVC, "7", "movie", many, exclude=["seen"]),
    ):
        with pytest.raises(errors.InvalidValue, match="at most 1000"):
            ask()


def test_filter_keeps_order_and_sees_removals_at_once(r):
    events.apply(
        r,
        SVC,
        [
            make("7", "watchlist", "movie", "b"),
            make("7", "watchlist", "movie", "a"),
            make("7", "hide", "movie", "c"),
            make("7", "seen", "movie", "b"),
        ],
    )
    ids = ["a", "b", "c", "d"]
    assert events.filter_items(r, SVC, "7", "movie", ids, exclude=["hide", "seen"]) == ["a", "d"]
    assert events.filter_items(r, SVC, "7", "movie", ids, include=["watchlist"]) == ["a", "b"]
    assert events.filter_items(r, SVC, "7", "movie", ids, include=["watchlist"], exclude=["seen"]) == ["a"]
    assert events.filter_items(r, SVC, "7", "movie", ids, include=["watchlist", "hide"]) == ["a", "b", "c"]
    events.apply(r, SVC, [make("7", "watchlist", "movie", "a", delete=True)])
    assert events.filter_items(r, SVC, "7", "movie", ids, include=["watchlist"]) == ["b"]
    assert events.filter_items(r, SVC, "7", "movie", ids) == ids


def test_every_accepted_event_goes_to_the_services_log(r):
    events.apply(r, SVC, [make("7", "rated", "movie", "1", "4.5", ts=at(1)), make("8", "seen", "show", "2")])
    events.apply(r, SVC, [make("7", "rated", "movie", "1", "2", ts=at(100))])  # older, still logged
    events.apply(r, SVC, [make("7", "rated", "movie", "1", delete=True)])
    entries = [fields for _, fields in r.xrange(keys.event_log(SVC))]
    assert entries[0] == {
        "user": "7",
        "event": "rated",
        "item_type": "movie",
        "item": "1",
        "value": "4.5",
        "ts": "1763799999",
        "action": "record",
    }
    assert [e["action"] for e in entries] == ["record", "record", "record", "delete"]
    assert r.xlen(keys.event_log("rival")) == 0


def test_the_log_is_capped(r):
    for start in range(0, 3000, 500):
        events.apply(
            r, SVC, [make("7", "seen", "movie", str(i)) for i in range(start, start + 500)], log_max=1000
        )
    assert 1000 <= r.xlen(keys.event_log(SVC)) < 2000  # approximate trimming


def test_services_do_not_see_each_others_events(r):
    events.apply(r, SVC, [make("7", "watchlist", "movie", "1")])
    assert events.values_of(r, "rival", "7", "watchlist", "movie", ["1"]) == {}
    assert events.memberships(r, "rival", "7", "movie", ["1"]) == {}
    assert events.page(r, "rival", "7", "watchlist", "movie") == ([], None)


def test_log_purge_deletes_only_the_purged_users_entries_up_to_the_purge(r):
    events.apply(
        r, SVC, [make("7", "seen", "movie", str(i)) for i in range(2500)] + [make("8", "seen", "movie", "1")]
    )
    events.request_log_purge(r, SVC, "7")
    events.apply(r, SVC, [make("7", "seen", "movie", "after")])  # logged after the purge: kept
    assert events.pending_log_purges(r) == [SVC]
    assert events.purge_log(r, SVC, chunk=700) == 2500
    assert [(f["user"], f["item"]) for _, f in r.xrange(keys.event_log(SVC))] == [("8", "1"), ("7", "after")]
    assert events.pending_log_purges(r) == []


def test_a_purge_before_any_log_has_nothing_to_sweep(r):
    events.request_log_purge(r, SVC, "7")
    assert events.pending_log_purges(r) == []


def test_a_newer_purge_of_the_same_user_stays_pending(r, monkeypatch):
    events.apply(r, SVC, [make("7", "seen", "movie", "1")])
    events.request_log_purge(r, SVC, "7")
    real_xrange = r.xrange

    def purge_again_meanwhile(*args, **kwargs):
        entries = real_xrange(*args, **kwargs)
        events.apply(r, SVC, [make("7", "seen", "movie", "2")])
        events.request_log_purge(r, SVC, "7")
        return entries

    monkeypatch.setattr(r, "xrange", purge_again_meanwhile)
    assert events.purge_log(r, SVC) == 1
    assert events.pending_log_purges(r) == [SVC]  # the second purge is still to sweep
    monkeypatch.setattr(r, "xrange", real_xrange)
    assert events.purge_log(r, SVC) == 1
    assert r.xlen(keys.event_log(SVC)) == 0


def test_all_lists_read_stays_right_past_the_speculation_cap(r):
    lists = [f"custom{i}" for i in range(events.SPECULATE_MAX + 5)]
    events.apply(r, SVC, [make("9", name, "movie", "1") for name in lists])  # the service knows them all
    events.memberships(r, SVC, "9", "movie", ["1"])
    events.apply(r, SVC, [make("7", "custom3", "movie", "1")])
    assert events.memberships(r, SVC, "7", "movie", ["1"]) == {"custom3": {"1": ""}}
