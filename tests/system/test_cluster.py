"""The engine on a real 3-master Redis Cluster, reached by a cluster URL."""

import time

import pytest

from engine import profiles, ratelimit, servers, tenants
from engine import redis as engine_redis
from engine.settings import Settings

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    local = servers.LocalCluster(tmp_path_factory.mktemp("cluster"))
    local.start()
    yield local
    local.stop()


def test_cluster_url_and_flag_both_give_a_cluster_client(cluster):
    by_url = engine_redis.connect(cluster.url)
    plain = cluster.url.replace("redis+cluster://", "redis://")
    by_flag = engine_redis.connect_settings(Settings(redis_url=plain, redis_cluster=True))
    assert isinstance(by_url, engine_redis.RedisCluster)
    assert isinstance(by_flag, engine_redis.RedisCluster)


def test_profiles_keys_and_rate_limits_work_across_shards(cluster):
    r = engine_redis.connect(cluster.url)
    key, record = tenants.create_key(r, "acme", "free", now_ms=1)
    assert tenants.lookup(r, key).key_id == record.key_id
    assert [k.key_id for k in tenants.list_keys(r)] == [record.key_id]
    for uid in (f"user{i}" for i in range(20)):  # spread over the three masters
        profiles.put(r, "acme", uid, {"n": 1, "o": {"a": 1}})
        assert profiles.patch(r, "acme", uid, {"o": {"b": 2}}).to_dict()["o"] == {"a": 1, "b": 2}
    assert ratelimit.take(r, record.key_id, rate=1, burst=1, wanted=1, now_ms=0) == (1, 0)


def test_catalogue_and_notifications_work_across_shards(cluster):
    from engine import catalog, notifications, users

    r = engine_redis.connect(cluster.url)
    request = notifications.Request("https://hooks.example.com/", (), None, False)
    for uid in ("7", "8"):
        notifications.save(r, "acme", uid, "movie", "m3", request, now_ms=1)
    notifications.save(r, "acme", "7", "team", "arsenal", request, now_ms=1)
    items = [
        catalog.validate(
            "movie", f"m{n}", {"availability": [{"source_id": 7, "price": n}], "teams": ["arsenal"]}
        )
        for n in range(10)  # spread over the three masters
    ]
    made = notifications.put_items(r, "acme", items, now_ms=2).deliveries
    assert len(made) == 12  # m3 for 7 and 8, and every item for 7's follow
    calls = []
    for delivery in made:
        notifications.deliver(
            r,
            "acme",
            delivery,
            secrets=["whsec_" + "A" * 32],
            post=lambda *a: calls.append(a) or 200,
            now_ms=3,
        )
    assert len(calls) == 12
    page, _ = notifications.listing(r, "acme", "7")
    assert [entry["notified"] for entry in page] == [True, True]
    guide = {"slots": [{"start": 0, "end": 60, "item_type": "m", "item_id": "1"}]}
    catalog.put_schedule(r, "acme", "bbc1", guide, now_ms=4)
    assert len(catalog.get_schedule(r, "acme", "bbc1")) == 1
    users.purge(r, "acme", "7")
    assert notifications.listing(r, "acme", "7")[0] == []


def test_events_batches_and_lists_work_across_shards(cluster):
    from engine import events

    r = engine_redis.connect(cluster.url)
    made = [
        events.make(f"user{n}", "seen", "movie", str(m), now_ms=1000 + m) for n in range(10) for m in range(3)
    ]
    events.apply(r, "acme", made)
    assert events.values_of(r, "acme", "user3", "seen", "movie", ["0", "2", "9"]) == {"0": "", "2": ""}
    assert events.filter_items(r, "acme", "user3", "movie", ["0", "5"], include=["seen"], exclude=[]) == ["0"]


def test_bookmarks_and_live_sessions_work_across_shards(cluster):
    from engine import bookmarks, catalog, events, notifications

    r = engine_redis.connect(cluster.url)
    now = 1_763_800_000_000
    items = [catalog.validate("programme", "p", {"name": "Show"})] + [
        catalog.validate("episode", f"e{n}", {"programme_id": "p", "season": 1, "episode": n, "duration": 30})
        for n in range(1, 4)
    ]
    notifications.put_items(r, "acme", items, now_ms=now)
    guide = {
        "slots": [{"start": now // 1000, "end": now // 1000 + 1800, "item_type": "episode", "item_id": "e2"}]
    }
    catalog.put_schedule(r, "acme", "bbc1", guide, now_ms=now)
    made = [events.make(f"user{n}", "seen", "episode", "e1", now_ms=now) for n in range(10)]
    made += [events.make(f"user{n}", "start", "channel", "bbc1", now // 1000, now_ms=now) for n in range(10)]
    assert bookmarks.record(r, "acme", made) == {}
    assert bookmarks.get(r, "acme", "user3", "programme", "p")["episode"]["item_id"] == "e2"
    assert bookmarks.close_expired(r, "acme", now_ms=now + 5 * 3_600_000) == 10
    assert bookmarks.get(r, "acme", "user3", "programme", "p")["episode"]["item_id"] == "e3"
    assert len(bookmarks.page(r, "acme", "user7")[0]) == 1


def test_recommendations_and_section_lists_work_across_shards(cluster):
    from engine import (
        catalog,
        events,
        intake,
        learning,
        notifications,
        recommend,
        section_lists,
        sections,
        users,
    )

    r = engine_redis.connect(cluster.url)
    recommend.forget_settings()
    learning.forget()
    section_lists.forget_settings()
    now = 1_763_800_000_000
    items = [
        catalog.validate("movie", f"s{n}", {"name": f"Film {n}", "categories": ["Drama"], "cast": ["Ann"]})
        for n in range(6)
    ]
    notifications.put_items(r, "sect", items, now_ms=now)
    made = [
        events.make(f"user{u}", "seen", "movie", f"s{n}", now_ms=now + n)
        for u in range(6)
        for n in range(u + 1)
    ]
    assert intake.record(r, "sect", made) == {}
    assert learning.run(r, "sect") == len(made)  # the worker's learning, queues and items on every node
    assert learning.backlog(r, "sect") == 0
    for kind in ("BecauseYouWatched", "Category", "BecauseYouActor"):
        sections.create(r, "sect", {"type": kind, "weight": 10, "count": 2, "name": "Row {0}"})
    gone = sections.create(r, "sect", {"type": "URL", "weight": -1, "url": "/x/{0}", "name": "Pinned"})["id"]
    assert [p.item_id for p in recommend.recommend(r, "sect", "user0", limit=3, now_ms=now)]
    shown = section_lists.section_list(r, "sect", "user1", now_ms=now)
    assert shown[0].definition.type == "URL" and len(shown) > 1
    dynamic = shown[1]
    assert section_lists.section(r, "sect", dynamic.id, now_ms=now)[0] == "user1"
    section_event = events.make("user1", "consumed", "section", dynamic.id, now_ms=now + 10)
    assert intake.record(r, "sect", [section_event]) == {}
    assert intake.record(r, "sect", [events.make("user2", "consumed", "section", dynamic.id, now_ms=now)])
    assert section_lists.compact(r, "sect", now_ms=now + 400 * section_lists.DAY_MS) == 1
    sections.delete(r, "sect", gone)
    assert all(s.definition.id != gone for s in section_lists.section_list(r, "sect", "user1", now_ms=now))
    users.purge(r, "sect", "user1")
    with pytest.raises(Exception, match="no section instance"):
        section_lists.section(r, "sect", dynamic.id, now_ms=now)
    assert catalog.reindex(r, "sect") == 0


def test_rq_refuses_to_share_a_cluster(cluster):
    from engine.settings import SettingsError

    with pytest.raises(SettingsError, match="RQ_REDIS_URL"):
        engine_redis.rq_url(Settings(redis_url=cluster.url))
    assert engine_redis.rq_url(Settings(redis_url=cluster.url, rq_redis_url="redis://x/0")) == "redis://x/0"


def test_api_answers_503_while_the_cluster_is_down_and_recovers(tmp_path):
    from api import create_app
    from tests.conftest import Api

    local = servers.LocalCluster(tmp_path)
    local.start()
    try:
        app = create_app(Settings(redis_url=local.url, key_cache_seconds=0))
        client = app.test_client()
        r = engine_redis.connect(local.url)
        api = Api(client, tenants.create_key(r, "acme", "free", now_ms=1)[0])
        assert api.put("user/7/", json={"a": 1}).status_code == 201

        local.stop()
        for response in (api.get("user/7/"), client.get("/readyz")):
            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.headers["Retry-After"] == "1"

        for node in local.nodes:
            node.start()
        deadline = time.monotonic() + 20
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get("/readyz").status_code == 200
    finally:
        local.stop()


def test_a_web_process_starts_while_the_cluster_is_down(tmp_path):
    from api import create_app

    down = servers.LocalCluster(tmp_path)  # never started
    app = create_app(Settings(redis_url=down.url))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    assert client.get("/api/1/tt_somekeysomekeysomekey/user/7/").status_code == 503


def test_no_acknowledged_event_is_lost_while_slots_move(tmp_path):
    """A writer keeps recording events while a third of the slots move to another node
    (`redis-cli --cluster reshard`); every event it was told was stored is there after."""
    import subprocess
    import threading

    from engine import events, intake

    local = servers.LocalCluster(tmp_path)
    local.start()
    try:
        r = engine_redis.connect(local.url)
        ids = [engine_redis.connect(f"redis://127.0.0.1:{n.port}").execute_command("CLUSTER", "MYID")
               for n in local.nodes]  # fmt: skip
        acked, failed, stop = [], [], threading.Event()

        def write():
            n = 0
            while not stop.is_set():
                user, item = f"u{n % 200}", str(n)
                try:
                    made = events.make(user, "seen", "movie", item, now_ms=1000 + n)
                    assert intake.record(r, "acme", [made]) == {}
                    acked.append((user, item))
                except Exception as error:  # what would reach an API user
                    failed.append(repr(error))
                n += 1

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.5)
        reshard = [str(servers.server_binary("redis-cli")), "--cluster", "reshard",
                   f"127.0.0.1:{local.nodes[0].port}", "--cluster-from", ids[0], "--cluster-to", ids[1],
                   "--cluster-slots", "2000", "--cluster-yes"]  # fmt: skip
        subprocess.run(reshard, check=True, capture_output=True, timeout=120)
        time.sleep(0.5)
        stop.set()
        writer.join()
        print(f"{len(acked)} events acknowledged, {len(failed)} failed while 2,000 slots moved")
        assert len(acked) > 100 and failed == []
        for user in {user for user, _ in acked}:
            mine = [item for u, item in acked if u == user]
            assert set(events.values_of(r, "acme", user, "seen", "movie", mine)) == set(mine)
    finally:
        local.stop()


def _keys_on_every_node(r, count=3):
    """Keys whose slots are served by `count` different masters."""
    found = {}
    for n in range(1000):
        key = f"spread:{n}"
        found.setdefault(r.nodes_manager.get_node_from_slot(r.keyslot(key)).name, key)
        if len(found) == count:
            return list(found.values())
    raise AssertionError("the cluster has fewer masters")


def test_a_pipeline_over_every_node_answers_in_order_routed_by_the_engine(cluster, monkeypatch):
    from redis.cluster import ClusterPipeline

    from engine import scripts

    r = engine_redis.connect(cluster.url)
    keys = _keys_on_every_node(r)

    def not_redis_pys(*args, **kwargs):
        raise AssertionError("routed by redis-py's pipeline")

    monkeypatch.setattr(ClusterPipeline, "execute", not_redis_pys)
    pipe = r.pipeline(transaction=False)
    for n, key in enumerate(keys):
        pipe.set(key, n)
        pipe.incr(key)
    pipe.hset("{h}x", "f", "v")
    pipe.hgetall("{h}x")
    pipe.zadd("{z}x", {"a": 1.5})
    pipe.zrange("{z}x", 0, -1, withscores=True)
    pipe.hget("{h}x", "missing")
    assert pipe.execute() == [True, 1, True, 2, True, 3, 1, {"f": "v"}, 1, [("a", 1.5)], None]
    batch = scripts.Batch(r)  # script calls too, and an error as a value
    batch.script(scripts.load("take_tokens"), ["{t}bucket"], [1, 1, 1, 0])
    batch.raw("HGET", keys[0], "f")  # a string, not a hash
    with pytest.raises(Exception, match="WRONGTYPE"):
        batch.execute()
    assert r.get(keys[2]) == "3"


def test_a_command_whose_reply_was_lost_is_not_sent_again(cluster, monkeypatch):
    """A timeout after the command ran: a pipeline that sent it again would run it twice."""
    import redis.connection
    from redis.exceptions import TimeoutError as RedisTimeout

    r = engine_redis.connect(cluster.url)
    key = _keys_on_every_node(r, 1)[0]
    r.delete(key)
    real, lost = redis.connection.AbstractConnection.read_response, []

    def reply_lost(self, *args, **kwargs):
        reply = real(self, *args, **kwargs)
        if not lost:
            lost.append(reply)
            raise RedisTimeout("Timeout reading from socket")
        return reply

    monkeypatch.setattr(redis.connection.AbstractConnection, "read_response", reply_lost)
    pipe = r.pipeline(transaction=False)
    pipe.incr(key)
    with pytest.raises(RedisTimeout):
        pipe.execute()
    monkeypatch.undo()
    assert lost == [1] and r.get(key) == "1"  # ran once
    assert r.incr(key) == 2  # and the client goes on


def test_a_pipeline_sent_to_the_wrong_node_follows_the_redirection(cluster):
    r = engine_redis.connect(cluster.url)
    key = _keys_on_every_node(r, 1)[0]
    r.set(key, 10)
    slot, manager = r.keyslot(key), r.nodes_manager
    right = manager.slots_cache[slot]
    wrong = next(node for node in manager.nodes_cache.values() if node.name != right[0].name)
    manager.slots_cache[slot] = [wrong]  # a stale slot table, as after a resharding
    try:
        pipe = r.pipeline(transaction=False)
        pipe.incr(key)
        pipe.get(key)
        assert pipe.execute() == [11, "11"]  # MOVED: sent again once, to the right node
        assert r.get(key) == "11"
    finally:
        manager.slots_cache[slot] = right


def test_a_pipeline_the_engine_does_not_route_goes_to_redis_pys(cluster):
    r = engine_redis.connect(cluster.url)
    r.set("{m}1", "a")
    r.set("{m}2", "b")
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("MGET", "{m}1", "{m}2")  # two keys (one slot)
    pipe.get("{m}1")
    assert pipe.execute() == [["a", "b"], "a"]


def test_a_pipeline_whose_slot_is_not_known_goes_to_redis_pys(cluster, monkeypatch):
    """Nothing is sent before routing: a slot missing from the table (the cluster changing)
    leaves the pipeline to redis-py's, which answers as it always has."""
    from redis.cluster import ClusterPipeline

    r = engine_redis.connect(cluster.url)
    key = _keys_on_every_node(r, 1)[0]
    r.set(key, 1)
    slot, manager = r.keyslot(key), r.nodes_manager
    known, handed = manager.slots_cache.pop(slot), []
    real = ClusterPipeline.execute

    def redis_pys(self, raise_on_error=True):
        handed.append(True)
        manager.slots_cache[slot] = known  # as after redis-py learns the cluster again
        return real(self, raise_on_error)

    monkeypatch.setattr(ClusterPipeline, "execute", redis_pys)
    try:
        pipe = r.pipeline(transaction=False)
        pipe.incr(key)
        assert pipe.execute() == [2] and handed == [True]
    finally:
        manager.slots_cache[slot] = known
