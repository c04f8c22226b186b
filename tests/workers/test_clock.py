"""The clock enqueues each periodic job once per period; a worker runs it."""

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from engine import events, keys
from engine import redis as engine_redis
from workers import clock, queues

NOW = 1_763_800_000_000


@pytest.fixture
def rq_conn(redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    conn = engine_redis.connect(redis_server.url, decode=False)
    conn.flushall()
    return conn


def test_each_periodic_job_is_enqueued_once_per_period(rq_conn):
    periodic = {"workers.jobs.sweep_log_purges": 60}
    assert clock.tick(rq_conn, periodic) == ["workers.jobs.sweep_log_purges"]
    assert clock.tick(rq_conn, periodic) == []  # another clock, or the next second: not yet
    assert queues.queue(queues.DEFAULT, rq_conn).count == 1
    assert 0 < rq_conn.ttl(keys.clock_lock("workers.jobs.sweep_log_purges")) <= 60
    rq_conn.delete(keys.clock_lock("workers.jobs.sweep_log_purges"))  # the period is over
    assert clock.tick(rq_conn, periodic) == ["workers.jobs.sweep_log_purges"]


def test_every_periodic_job_names_a_real_function():
    import importlib

    for job in queues.PERIODIC:
        module, _, name = job.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))


def test_a_worker_runs_the_sweep_and_purged_entries_leave_the_log(rq_conn, redis_server):
    r = engine_redis.connect(redis_server.url)
    events.apply(
        r,
        "acme",
        [
            events.make("7", "seen", "movie", "1", now_ms=NOW),
            events.make("8", "seen", "movie", "1", now_ms=NOW),
        ],
    )
    events.request_log_purge(r, "acme", "7")
    clock.tick(rq_conn, {"workers.jobs.sweep_log_purges": 60})
    queue = queues.queue(queues.DEFAULT, rq_conn)
    SimpleWorker([queue], connection=rq_conn, serializer=JSONSerializer).work(burst=True)
    assert [f["user"] for _, f in r.xrange(keys.event_log("acme"))] == ["8"]
    assert events.pending_log_purges(r) == []


def test_a_worker_closes_live_sessions_left_open(rq_conn, redis_server):
    from engine import bookmarks, catalog
    from engine.clock import now_ms

    r = engine_redis.connect(redis_server.url)
    now = now_ms()
    start = now - 5 * 3_600_000  # five hours ago, and no end since
    slots = [
        {"start": start // 1000, "end": (start + 3_600_000) // 1000, "item_type": "movie", "item_id": "m"}
    ]
    catalog.put_schedule(r, "acme", "bbc1", {"slots": slots}, now_ms=now)
    assert not bookmarks.record(
        r, "acme", [events.make("7", "start", "channel", "bbc1", start // 1000, now_ms=now)]
    )
    clock.tick(rq_conn, {"workers.jobs.close_live_sessions": 60})
    queue = queues.queue(queues.DEFAULT, rq_conn)
    SimpleWorker([queue], connection=rq_conn, serializer=JSONSerializer).work(burst=True)
    assert r.get(keys.live_session("acme", "7")) is None
    assert events.values_of(r, "acme", "7", "seen", "movie", ["m"]) == {"m": ""}


def test_a_worker_moves_popularity_landmarks_and_the_order_stands(rq_conn, redis_server):
    from engine import learning, popularity, recommend
    from engine.clock import now_ms

    r = engine_redis.connect(redis_server.url)
    recommend.forget_settings()
    now = now_ms()
    old = now - 30 * recommend.DAY_MS
    made = [events.make(u, "seen", "movie", "a", None, old // 1000, now_ms=now) for u in ("1", "2")]
    made.append(events.make("3", "seen", "movie", "b", None, now // 1000, now_ms=now))
    events.apply(r, "acme", made)
    recommend.mark(r, "acme", made)
    learning.run(r, "acme")
    before = popularity.popular(r, "acme", "movie", now_ms=now)
    clock.tick(rq_conn, {"workers.jobs.move_popularity_landmarks": 3600})
    queue = queues.queue(queues.DEFAULT, rq_conn)
    SimpleWorker([queue], connection=rq_conn, serializer=JSONSerializer).work(burst=True)
    assert now - int(r.get(keys.popularity_landmark("acme", "movie"))) < 60_000
    after = popularity.popular(r, "acme", "movie", now_ms=now)
    assert [p.item_id for p in after] == [p.item_id for p in before] == ["b", "a"]
    for moved, kept in zip(after, before, strict=True):
        assert moved.score == pytest.approx(kept.score, rel=1e-9)


def test_a_worker_compacts_section_boosts_that_are_due(rq_conn, redis_server):
    from engine import intake, section_lists, sections
    from engine.clock import now_ms

    r = engine_redis.connect(redis_server.url)
    section_lists.forget_settings()
    now = now_ms()
    long_ago = now - 400 * section_lists.DAY_MS  # boosts from then have long faded
    sections.create(r, "acme", {"type": "URL", "weight": 5, "url": "/popular/", "name": "Popular"})
    [shown] = section_lists.section_list(r, "acme", "7", now_ms=long_ago)
    made = events.make("7", "consumed", "section", shown.id, None, long_ago // 1000, now_ms=now)
    assert not intake.record(r, "acme", [made])
    assert r.zcard(keys.section_boosts("acme", "7")) == 1
    clock.tick(rq_conn, {"workers.jobs.compact_section_boosts": 3600})
    queue = queues.queue(queues.DEFAULT, rq_conn)
    SimpleWorker([queue], connection=rq_conn, serializer=JSONSerializer).work(burst=True)
    assert r.zcard(keys.section_boosts("acme", "7")) == 0
    assert r.zcard(keys.section_boosted("acme")) == 0


def test_a_worker_learns_what_event_posts_marked(rq_conn, redis_server):
    """An event POST leaves its pairs to the learning job, enqueued every second."""
    from engine import learning, recommend

    r = engine_redis.connect(redis_server.url)
    recommend.forget_settings()
    learning.forget()
    made = [events.make(u, "seen", "movie", item, now_ms=NOW) for u in ("1", "2") for item in ("a", "b")]
    recommend.apply(r, "acme", made)
    assert learning.backlog(r, "acme") == 2 and not r.exists(keys.neighbours("acme", "movie", "a"))
    assert queues.PERIODIC["workers.jobs.learn"] == 1
    assert clock.tick(rq_conn, {"workers.jobs.learn": 1}) == ["workers.jobs.learn"]
    queue = queues.queue(queues.DEFAULT, rq_conn)
    SimpleWorker([queue], connection=rq_conn, serializer=JSONSerializer).work(burst=True)
    assert learning.backlog(r, "acme") == 0
    assert [p.item_id for p in recommend.similar(r, "acme", "movie", "a")] == ["b"]
