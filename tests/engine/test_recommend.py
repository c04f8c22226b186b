"""Recommendations: similarity learnt from every event as it arrives, per-user picks,
similar and popular items."""

import pytest

from engine import bookmarks, errors, events, keys, learning, popularity, recommend, users, weights
from tests.conftest import snapshot

NOW = 1_763_800_000_000
DAY = 86_400
SVC = "acme"


def feed(r, *lines, now_ms=NOW):
    """Record events through the event path: (user, event, item, value?, days ago?)."""
    made = []
    for line in lines:
        user, event, item = line[:3]
        value = line[3] if len(line) > 3 else None
        days_ago = line[4] if len(line) > 4 and line[4] is not None else 0
        ts = (now_ms // 1000) - int(days_ago * DAY)
        made.append(events.make(user, event, "movie", item, value, ts, now_ms=now_ms))
    assert not bookmarks.record(r, SVC, made)
    learning.run(r, SVC)  # as the worker's learning job does


def watched(user, *items, days_ago=0):
    return [(user, "seen", item, None, days_ago) for item in items]


def ids_of(picks):
    return [p.item_id for p in picks]


@pytest.fixture
def crowd(r):
    """Users who watched A with B, A with C, X with C: B and C are like A, C like X."""
    feed(
        r,
        *watched("1", "A", "B"),
        *watched("2", "A", "B"),
        *watched("3", "A", "C"),
        *watched("4", "X", "C"),
        *watched("5", "X", "C", "D"),
    )
    return r


def test_an_item_is_most_like_the_items_the_same_users_had(crowd):
    picks = recommend.similar(crowd, SVC, "movie", "A")
    assert ids_of(picks) == ["B", "C"]
    assert 0 < picks[1].score < picks[0].score <= 1
    assert ids_of(recommend.similar(crowd, SVC, "movie", "X"))[0] == "C"


def test_a_repeated_event_and_a_second_positive_event_on_an_item_add_nothing(crowd):
    before = snapshot(crowd)
    feed(crowd, *watched("1", "A", "B"))  # again
    feed(crowd, ("1", "watchlist", "A"), ("1", "rated", "B", "5"))
    after = snapshot(crowd)
    learnt = [k for k in before if ":co" in k or ":nbr" in k or "popular" in k or ":users" in k]
    assert learnt and all(before[k] == after[k] for k in learnt)


def test_events_that_do_not_count_positively_teach_nothing(r):
    feed(r, ("1", "hide", "A"), ("1", "rated", "B", "-3"), ("1", "rated", "C", "0"), ("1", "detail", "D"))
    assert not any(":co" in k or ":nbr" in k or "popular" in k for k in r.keys("*"))
    with pytest.raises(errors.NotFound):
        recommend.similar(r, SVC, "movie", "A")


def test_deletions_teach_nothing(r):
    feed(r, *watched("1", "A", "B"))
    before = snapshot(r)
    made = [events.make("1", "seen", "movie", item, now_ms=NOW, delete=True) for item in ("A", "B")]
    events.apply(r, SVC, made)
    recommend.mark(r, SVC, made)
    learning.run(r, SVC)
    assert {k: v for k, v in snapshot(r).items() if ":co" in k or ":nbr" in k} == {
        k: v for k, v in before.items() if ":co" in k or ":nbr" in k
    }


def test_neighbour_lists_are_capped_and_counts_stay_within_a_multiple_of_the_cap(r):
    recommend.put_config(r, SVC, {"neighbours": 10})
    for user in range(40):
        feed(r, *watched(str(user), "hub", *(f"m{user}-{k}" for k in range(3))))
    assert r.zcard(keys.neighbours(SVC, "movie", "hub")) == 10
    assert 10 <= r.zcard(keys.cooccurrence(SVC, "movie", "hub")) <= 80
    assert len(recommend.similar(r, SVC, "movie", "hub", limit=100)) == 10


def test_recommendations_come_from_the_users_items_with_the_items_behind_them(crowd):
    feed(crowd, *watched("9", "A"))
    picks = recommend.recommend(crowd, SVC, "9", now_ms=NOW)
    assert ids_of(picks)[:2] == ["B", "C"]
    assert picks[0].because == [("movie", "A")] and picks[0].basis == "similar"
    assert picks[0].score > picks[1].score > 0


def test_seen_hidden_rated_and_started_items_never_come_back(crowd):
    feed(
        crowd,
        *watched("9", "A", "B"),
        ("9", "hide", "C"),
        ("9", "rated", "D", "4"),
        ("9", "progress", "X", "5"),
    )
    found = ids_of(recommend.recommend(crowd, SVC, "9", item_type="movie", limit=100, now_ms=NOW))
    assert not {"A", "B", "C", "D", "X"} & set(found)


def test_watchlisted_items_come_back_only_when_asked(crowd):
    feed(crowd, *watched("9", "A"), ("9", "watchlist", "B"))
    assert "B" not in ids_of(recommend.recommend(crowd, SVC, "9", now_ms=NOW))
    assert "B" in ids_of(recommend.recommend(crowd, SVC, "9", watchlist=True, now_ms=NOW))


def similar_scores(r, user, **options):
    picks = recommend.recommend(r, SVC, user, limit=100, now_ms=NOW, **options)
    return {p.item_id: p.score for p in picks if p.basis == "similar"}


def test_hiding_an_item_pushes_its_neighbours_down(crowd):
    feed(crowd, *watched("9", "A"))
    before = similar_scores(crowd, "9")
    assert list(before)[:2] == ["B", "C"]
    feed(crowd, ("9", "hide", "X"))  # X is like C, not like B
    after = similar_scores(crowd, "9")
    assert after.get("C", 0) < before["C"] and after["B"] == pytest.approx(before["B"])
    assert "C" not in after  # pushed below zero: only popularity may bring it back, last


def test_a_negative_rating_pushes_its_neighbours_down(crowd):
    feed(crowd, *watched("9", "A"), ("9", "watchlist", "X"))
    before = similar_scores(crowd, "9", watchlist=True)
    feed(crowd, ("9", "rated", "X", "-5"))  # the user watchlisted X, then disliked it
    after = similar_scores(crowd, "9", watchlist=True)
    assert after.get("C", 0) < before["C"] and after["B"] == pytest.approx(before["B"])


def test_recent_events_count_more_than_old_ones(r):
    feed(r, *watched("1", "old", "old-like"), *watched("2", "new", "new-like"))
    feed(r, ("9", "seen", "old", None, 400), ("9", "seen", "new", None, 1))
    assert ids_of(recommend.recommend(r, SVC, "9", now_ms=NOW)) == ["new-like", "old-like"]
    feed(r, ("9", "seen", "old", None, 0))  # seen again: the old item is recent again
    assert ids_of(recommend.recommend(r, SVC, "9", now_ms=NOW))[0] == "old-like"


def test_the_half_life_sets_how_fast_affinity_fades(r):
    feed(r, *watched("1", "old", "old-like"), *watched("2", "new", "new-like"))
    feed(r, ("9", "seen", "old", None, 100), ("9", "seen", "new", None, 0))

    def ratio():
        scores = {p.item_id: p.score for p in recommend.recommend(r, SVC, "9", now_ms=NOW)}
        return scores["old-like"] / scores["new-like"]

    assert ratio() == pytest.approx(2 ** (-100 / 90))
    recommend.put_config(r, SVC, {"half_life_days": 10})
    assert ratio() == pytest.approx(2**-10)


def test_an_item_type_filter_keeps_to_the_type(r):
    made = [
        events.make(u, "seen", t, i, now_ms=NOW)
        for u in ("1", "2")
        for t, i in (("movie", "A"), ("movie", "B"), ("series", "S"))
    ]
    made.append(events.make("9", "seen", "movie", "A", now_ms=NOW))
    bookmarks.record(r, SVC, made)
    learning.run(r, SVC)
    assert {p.item_type for p in recommend.recommend(r, SVC, "9", now_ms=NOW)} == {"movie", "series"}
    assert ids_of(recommend.recommend(r, SVC, "9", item_type="series", now_ms=NOW)) == ["S"]
    assert ids_of(recommend.similar(r, SVC, "movie", "A", of_type="series")) == ["S"]


def test_users_with_no_history_get_what_is_popular(crowd):
    picks = recommend.recommend(crowd, SVC, "nobody", item_type="movie", now_ms=NOW)
    assert ids_of(picks)[:3] == ["C", "A", "B"] or ids_of(picks)[0] in {"A", "C"}
    assert {p.basis for p in picks} == {"popular"} and all(p.because == [] for p in picks)
    assert ids_of(recommend.recommend(crowd, SVC, "nobody", now_ms=NOW)) == ids_of(picks)
    assert recommend.recommend(crowd, SVC, "nobody", item_type="series", now_ms=NOW) == []


def test_a_short_list_is_filled_with_popular_items_the_user_has_not_had(crowd):
    feed(crowd, *watched("9", "D"))
    picks = recommend.recommend(crowd, SVC, "9", item_type="movie", limit=10, now_ms=NOW)
    assert sorted(ids_of(picks)) == ["A", "B", "C", "X"]  # every movie but D
    assert [p.basis for p in picks] == ["similar", "similar", "popular", "popular"]


def test_popularity_counts_recent_users_more(r):
    feed(r, *watched("1", "classic", days_ago=21), *watched("2", "classic", days_ago=21))
    feed(r, *watched("3", "classic", days_ago=21), *watched("4", "hit"))
    picks = popularity.popular(r, SVC, "movie", now_ms=NOW)
    assert ids_of(picks) == ["hit", "classic"]
    assert picks[0].score == pytest.approx(1.0)
    assert picks[1].score == pytest.approx(3 / 8)  # three users, three half-lives ago
    later = popularity.popular(r, SVC, "movie", now_ms=NOW + 7 * recommend.DAY_MS)
    assert later[0].score == pytest.approx(0.5)


def test_an_event_far_past_the_landmark_moves_it_and_keeps_the_order(r):
    feed(r, *watched("1", "a"), *watched("2", "a"), *watched("3", "b"))
    far = NOW + 900 * popularity.HALF_LIFE_MS  # beyond a double's reach at the old landmark
    feed(r, ("4", "seen", "c", None, 0), now_ms=far)
    assert int(r.get(keys.popularity_landmark(SVC, "movie"))) == far
    assert ids_of(popularity.popular(r, SVC, "movie", now_ms=far)) == ["c"]  # the old ones faded away


def test_the_landmark_job_moves_only_landmarks_a_half_life_behind(r):
    feed(r, *watched("1", "a"), *watched("2", "a"), *watched("3", "b", days_ago=3))
    before = popularity.popular(r, SVC, "movie", now_ms=NOW)
    assert popularity.move_landmarks(r, now_ms=NOW) == 0
    later = NOW + 8 * recommend.DAY_MS
    assert popularity.move_landmarks(r, now_ms=later) == 1
    assert int(r.get(keys.popularity_landmark(SVC, "movie"))) == later
    after = popularity.popular(r, SVC, "movie", now_ms=NOW)
    assert [(p.item_id, pytest.approx(p.score)) for p in after] == [(p.item_id, p.score) for p in before]


def test_every_event_is_reflected_in_the_next_call(crowd):
    assert recommend.recommend(crowd, SVC, "9", item_type="movie", now_ms=NOW)[0].basis == "popular"
    feed(crowd, *watched("9", "X"))
    first = recommend.recommend(crowd, SVC, "9", now_ms=NOW)[0]
    assert (first.item_id, first.because) == ("C", [("movie", "X")])
    feed(crowd, ("9", "seen", "C"))
    assert "C" not in ids_of(recommend.recommend(crowd, SVC, "9", limit=100, now_ms=NOW))


def test_weights_decide_what_counts(crowd):
    weights.put(crowd, SVC, {"recommendations": {"seen": 0, "detail": 2}})  # seen at once
    feed(crowd, *watched("9", "A"))
    assert {p.basis for p in recommend.recommend(crowd, SVC, "9", now_ms=NOW)} == {"popular"}
    feed(crowd, ("9", "detail", "A"), ("1", "detail", "Q"), ("1", "detail", "A"))
    assert "Q" in ids_of(recommend.similar(crowd, SVC, "movie", "A"))


def test_a_purge_takes_the_user_back_from_the_counts_and_popularity(crowd):
    before = {p.item_id: p.score for p in popularity.popular(crowd, SVC, "movie", now_ms=NOW)}
    feed(crowd, *watched("9", "A", "only9"))
    users.purge(crowd, SVC, "9")
    assert not crowd.exists(keys.rec_history(SVC, "9"))
    assert crowd.hget(keys.item_users(SVC), "movie|only9") is None
    assert int(crowd.hget(keys.item_users(SVC), "movie|A")) == 3
    with pytest.raises(errors.NotFound):
        recommend.similar(crowd, SVC, "movie", "only9")
    after = {p.item_id: p.score for p in popularity.popular(crowd, SVC, "movie", now_ms=NOW)}
    assert after.keys() == before.keys() and all(after[i] == pytest.approx(before[i]) for i in before)
    users.purge(crowd, SVC, "9")  # again: nothing more to take back
    assert int(crowd.hget(keys.item_users(SVC), "movie|A")) == 3
    feed(crowd, *watched("9", "A"))  # the id used again: a new user, counted once
    assert int(crowd.hget(keys.item_users(SVC), "movie|A")) == 4
    assert crowd.zcard(keys.rec_history(SVC, "9")) == 1


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_a_limit_outside_1_to_100_is_refused(crowd, limit):
    with pytest.raises(errors.InvalidValue, match="limit"):
        recommend.recommend(crowd, SVC, "9", limit=limit, now_ms=NOW)
    with pytest.raises(errors.InvalidValue, match="limit"):
        recommend.similar(crowd, SVC, "movie", "A", limit=limit)
    with pytest.raises(errors.InvalidValue, match="limit"):
        popularity.popular(crowd, SVC, "movie", limit=limit, now_ms=NOW)


def test_unknown_types_and_items_are_not_found_and_malformed_ids_invalid(crowd):
    with pytest.raises(errors.NotFound, match="type series"):
        recommend.similar(crowd, SVC, "series", "A")
    with pytest.raises(errors.NotFound, match="movie/nothing"):
        recommend.similar(crowd, SVC, "movie", "nothing")
    with pytest.raises(errors.NotFound):
        popularity.popular(crowd, SVC, "series", now_ms=NOW)
    for bad in ("", "a b", "x" * 300, "a|b"):
        with pytest.raises(errors.InvalidValue):
            recommend.similar(crowd, SVC, "movie", bad)
        with pytest.raises(errors.InvalidValue):
            recommend.recommend(crowd, SVC, bad, now_ms=NOW)
        with pytest.raises(errors.InvalidValue):
            recommend.recommend(crowd, SVC, "9", item_type=bad, now_ms=NOW)


def test_settings_default_and_change_per_service(r):
    assert recommend.config(r, SVC) == recommend.DEFAULTS
    assert recommend.put_config(r, SVC, {"neighbours": 50, "half_life_days": 7.5})["neighbours"] == 50
    assert recommend.config(r, SVC) == {"neighbours": 50, "half_life_days": 7.5, "history": 200}
    assert recommend.config(r, "rival") == recommend.DEFAULTS
    assert recommend.put_config(r, SVC, {}) == recommend.DEFAULTS


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"neighbours": 5},
        {"neighbours": 10.5},
        {"neighbours": "100"},
        {"neighbours": True},
        {"half_life_days": 0},
        {"half_life_days": float("inf")},
        {"history": 5000},
        {"colour": 1},
    ],
)
def test_bad_settings_are_refused_and_change_nothing(r, doc):
    recommend.put_config(r, SVC, {"neighbours": 20})
    before = snapshot(r)
    with pytest.raises(errors.InvalidValue):
        recommend.put_config(r, SVC, doc)
    assert snapshot(r) == before


def test_an_event_a_newer_deletion_overrules_teaches_nothing(r):
    feed(r, *watched("1", "A"), *watched("2", "A", "B"))
    made = [events.make("1", "seen", "movie", "B", now_ms=NOW, delete=True)]
    events.apply(r, SVC, made)
    before = snapshot(r)
    feed(r, ("1", "seen", "B", None, 1))  # older than the deletion: not stored
    after = snapshot(r)
    learnt = [
        k for k in after if ":co" in k or ":nbr" in k or "popular" in k or ":users" in k or "rec-history" in k
    ]
    assert all(before.get(k) == after[k] for k in learnt)
    feed(r, ("1", "seen", "B", None, 0), now_ms=NOW + 1000)  # a newer one is stored, and teaches
    assert r.zscore(keys.rec_history(SVC, "1"), "movie|B") is not None
    assert int(r.hget(keys.item_users(SVC), "movie|B")) == 2


def test_a_big_batch_is_learnt_in_parts_with_the_same_result(r, monkeypatch):
    lines = [*watched("1", *(f"m{k}" for k in range(30))), *watched("2", *(f"m{k}" for k in range(0, 30, 2)))]

    def learnt():
        names = [k for k in r.keys("*") if k.endswith((":co", ":nbr"))]
        return {k: dict(r.zrange(k, 0, -1, withscores=True)) for k in names}

    feed(r, *lines)
    whole = learnt()
    r.flushall()
    monkeypatch.setattr(recommend, "PAIRS_AT_ONCE", 7)
    feed(r, *lines)
    parts = learnt()
    assert parts.keys() == whole.keys() and len(whole) == 60
    for key, scores in whole.items():  # neighbour scores use the users counts of their time
        assert (
            parts[key] == pytest.approx(scores) if key.endswith(":co") else parts[key].keys() == scores.keys()
        )


def test_huge_whole_numbers_in_settings_are_refused_at_once(r):
    from engine import exactjson

    for text in ('{"neighbours": 1e999999999999999999}', '{"history": -1e300000}', '{"history": 1e300000}'):
        with pytest.raises(errors.InvalidValue) as refused:
            recommend.put_config(r, SVC, exactjson.loads(text))
        assert "from 10 to 1000" in str(refused.value.fields)
