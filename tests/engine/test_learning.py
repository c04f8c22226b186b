"""Learning off the request path (engine/learning.py): events mark, the job learns."""

import pytest

from engine import errors, events, keys, learning, recommend, users

SVC = "acme"
NOW = 1_763_800_000_000


def seen(r, user, *items, ms=NOW):
    made = [events.make(user, "seen", "movie", item, None, ms / 1000 + n, now_ms=ms + 10_000)
            for n, item in enumerate(items)]  # fmt: skip
    recommend.apply(r, SVC, made)


def neighbours(r, item):
    return dict(r.zrange(keys.neighbours(SVC, "movie", item), 0, -1, withscores=True))


def test_an_event_marks_its_learning_and_the_job_makes_the_pairs(r):
    seen(r, "1", "A", "B")
    assert r.lrange(keys.learn_pending(SVC, "1"), 0, -1) == [f"movie|A\t{NOW}", f"movie|B\t{NOW + 1000}"]
    assert learning.backlog(r, SVC) == 1
    assert neighbours(r, "A") == {} and r.hget(keys.item_users(SVC), "movie|A") is None
    with pytest.raises(errors.NotFound):  # not learnt yet
        recommend.similar(r, SVC, "movie", "A")

    assert learning.run(r, SVC) == 2
    assert set(neighbours(r, "A")) == {"movie|B"} and set(neighbours(r, "B")) == {"movie|A"}
    assert r.hget(keys.item_users(SVC), "movie|A") == "1"
    assert r.zscore(keys.popularity(SVC, "movie"), "A") is not None
    assert r.llen(keys.learn_pending(SVC, "1")) == 0 and learning.backlog(r, SVC) == 0
    assert learning.run(r, SVC) == 0  # nothing left


def test_learning_in_batches_counts_as_learning_one_event_at_a_time(r):
    """Co-occurrence made for many users in one round is what one event at a time makes
    (the similarities may differ a little: a round divides by the users counts after it)."""

    def counts(item):
        return dict(r.zrange(keys.cooccurrence(SVC, "movie", item), 0, -1, withscores=True))

    seen(r, "1", "A", "B", "C")
    seen(r, "2", "A", "C")
    learning.run(r, SVC)
    together = {item: counts(item) for item in "ABC"}
    assert set(neighbours(r, "A")) == {"movie|B", "movie|C"}
    r.flushall()
    for user, items in (("1", "ABC"), ("2", "AC")):
        for n, item in enumerate(items):
            seen(r, user, item, ms=NOW + n * 1000)
            learning.run(r, SVC)
    for item in "ABC":
        assert counts(item) == pytest.approx(together[item])


def test_a_user_marked_again_while_being_learnt_stays_queued(r, monkeypatch):
    seen(r, "1", "A", "B")
    real, rounds = recommend.learn_pending, []

    def meanwhile(r, service, found, pending, pause=None):
        rounds.append([item for taken in pending for item, _ in taken.new])
        if len(rounds) == 1:  # an event arrives between the take and the settle
            seen(r, "1", "C", ms=NOW + 5000)
        return real(r, service, found, pending, pause)

    monkeypatch.setattr(recommend, "learn_pending", meanwhile)
    learning.run(r, SVC)
    assert rounds == [["movie|A", "movie|B"], ["movie|C"]]  # not settled after the first round
    assert set(neighbours(r, "C")) == {"movie|A", "movie|B"} and learning.backlog(r, SVC) == 0


def test_a_learner_that_fails_leaves_the_items_pending_for_the_next(r, monkeypatch):
    seen(r, "1", "A", "B")

    def broken(*args, **kwargs):
        raise ConnectionError("gone")

    monkeypatch.setattr(recommend, "learn_pending", broken)
    with pytest.raises(ConnectionError):
        learning.run(r, SVC)
    monkeypatch.undo()
    assert r.llen(keys.learn_pending(SVC, "1")) == 2 and learning.backlog(r, SVC) == 1
    assert learning.run(r, SVC) == 2  # the lock was released: the next learner takes over
    assert set(neighbours(r, "A")) == {"movie|B"}


def test_a_bucket_held_by_another_learner_is_left_to_it(r):
    seen(r, "1", "A", "B")
    held = r.lock(keys.learn_lock(SVC, learning.bucket_of("1")), timeout=60)
    assert held.acquire(blocking=False)
    assert learning.run(r, SVC) == 0 and learning.backlog(r, SVC) == 1
    held.release()
    assert learning.run(r, SVC) == 2


def test_a_long_pending_list_is_learnt_over_several_rounds(r, monkeypatch):
    monkeypatch.setattr(learning, "TAKE_MAX", 2)
    seen(r, "1", "A", "B", "C", "D", "E")
    assert learning.run(r, SVC) == 5
    assert set(neighbours(r, "E")) == {"movie|A", "movie|B", "movie|C", "movie|D"}
    assert learning.backlog(r, SVC) == 0


def test_the_time_budget_leaves_the_rest_for_the_next_run(r):
    for user in range(30):
        seen(r, f"u{user}", "A", "B")
    assert learning.run(r, SVC, seconds=0) < 60  # at most a round, then out of time
    learning.run(r, SVC)
    assert learning.backlog(r, SVC) == 0
    assert r.hget(keys.item_users(SVC), "movie|A") == "30"


def test_a_purge_takes_back_only_what_was_learnt(r):
    seen(r, "1", "A")
    seen(r, "2", "A")
    learning.run(r, SVC)
    seen(r, "2", "B")  # pending: never counted for B
    users.purge(r, SVC, "2")
    assert r.hget(keys.item_users(SVC), "movie|A") == "1"
    assert r.hget(keys.item_users(SVC), "movie|B") is None
    assert not r.exists(keys.learn_pending(SVC, "2"))
    learning.run(r, SVC)  # the purged user is taken off the queue with nothing to learn
    assert learning.backlog(r, SVC) == 0 and r.hget(keys.item_users(SVC), "movie|B") is None


def test_every_service_with_pending_learning_is_visited(r):
    seen(r, "1", "A", "B")
    recommend.apply(r, "rival", [events.make("1", "seen", "movie", x, now_ms=NOW) for x in ("A", "C")])
    assert learning.run(r) == 4
    assert set(neighbours(r, "A")) == {"movie|B"}
    assert set(r.zrange(keys.neighbours("rival", "movie", "A"), 0, -1)) == {"movie|C"}


def test_a_paced_learner_pauses_after_each_round_trip(r, monkeypatch):
    """At duty d, a round trip of t seconds is followed by a pause of t (1 - d) / d."""
    monkeypatch.setattr(recommend, "LINES_PER_TRIP", 1)
    paused = []
    monkeypatch.setattr(learning.time, "sleep", paused.append)
    seen(r, "1", "A", "B", "C")
    assert learning.run(r, SVC, duty=0.25) == 3
    assert len(paused) >= 3 and all(p >= 0 for p in paused)
    paused.clear()
    seen(r, "2", "A", "B", "C")
    assert learning.run(r, SVC) == 3 and paused == []  # full speed: no pauses


def test_recommendations_read_neighbours_once_in_a_while(r, monkeypatch):
    """A process keeps what it read of an item's neighbours for NEIGHBOURS_SECONDS; what
    this process learns replaces its copies at once."""
    seen(r, "1", "A", "B")
    seen(r, "2", "A", "C")
    learning.run(r, SVC)
    seen(r, "9", "A")
    assert {p.item_id for p in recommend.recommend(r, SVC, "9", now_ms=NOW)} >= {"B", "C"}
    r.delete(keys.neighbours(SVC, "movie", "A"))  # as if another process changed it
    assert {p.item_id for p in recommend.recommend(r, SVC, "9", now_ms=NOW)} >= {"B", "C"}  # the copy
    monkeypatch.setattr(recommend, "NEIGHBOURS_SECONDS", 0.0)
    recommend.forget_neighbours()
    assert {p.basis for p in recommend.recommend(r, SVC, "9", now_ms=NOW)} == {"popular"}  # read again


def test_a_mark_that_lands_before_its_pending_item_does_not_lose_the_item(r, monkeypatch):
    """On a cluster the queue's mark and the user's pending item are on two nodes: the
    learner may see the mark first. It looks again before taking the user off the queue."""
    r.zincrby(keys.learn_queue(SVC, learning.bucket_of("1")), 1, "1")  # the mark, alone
    r.sadd(keys.learn_services(), SVC)
    real = learning.take

    def item_lands_after_the_take(r, service, users, history):
        found = real(r, service, users, history)
        if not r.exists(keys.rec_history(SVC, "1")):
            seen(r, "1", "A", "B")  # the pending items (and a mark) arrive now
            r.zincrby(keys.learn_queue(SVC, learning.bucket_of("1")), -1, "1")  # one mark, as sent
        return found

    monkeypatch.setattr(learning, "take", item_lands_after_the_take)
    learning.run(r, SVC)
    assert set(neighbours(r, "A")) == {"movie|B"}  # learnt in a later round, not left behind
    assert r.llen(keys.learn_pending(SVC, "1")) == 0 and learning.backlog(r, SVC) == 0


def test_a_user_marked_with_nothing_pending_leaves_the_queue(r):
    seen(r, "1", "A")
    learning.run(r, SVC)
    seen(r, "1", "A", ms=NOW + 60_000)  # a repeat: marked, nothing new to learn
    assert learning.backlog(r, SVC) == 1 and r.llen(keys.learn_pending(SVC, "1")) == 0
    assert learning.run(r, SVC) == 0 and learning.backlog(r, SVC) == 0
