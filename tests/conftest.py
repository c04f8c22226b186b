"""One suite, two backends: every test that takes `r` runs on fakeredis (with Lua) and on a
real redis-server that this session starts on a free port and stops at the end. On the
real server, every script call is checked to touch a single cluster slot."""

from __future__ import annotations

import fakeredis
import pytest
from redis.crc import key_slot

from api import create_app
from engine import bookmarks, learning, recommend, scripts, section_lists, servers, tenants
from engine import redis as engine_redis
from engine.settings import Settings

BACKENDS = ["fake", "real"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server for the whole session (no persistence)."""
    server = servers.RedisServer(tmp_path_factory.mktemp("redis"), port=servers.free_port(), persist=False)
    server.start()
    yield server
    server.stop()


class SlotChecker:
    """Records every script call whose keys fall in more than one cluster slot."""

    def __init__(self):
        self.calls = 0
        self.violations: list[str] = []

    def __call__(self, script, keys):
        self.calls += 1
        slots = {key_slot(key.encode()) for key in keys}
        if len(slots) > 1:
            self.violations.append(f"{script.name}: {list(keys)} span slots {sorted(slots)}")


#: Suites that also run on a real local Redis Cluster of 3 masters (issue 8).
ON_CLUSTER = ("tests/api/", "tests/workers/")


def pytest_generate_tests(metafunc):
    """Every test that takes `r` runs on each backend; the API and worker suites on the
    cluster too."""
    if "r" in metafunc.fixturenames:
        path = str(metafunc.definition.path.relative_to(metafunc.config.rootpath))
        on_cluster = path.startswith(ON_CLUSTER)
        metafunc.parametrize("r", [*BACKENDS, *(["cluster"] if on_cluster else [])], indirect=True)


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A real 3-master Redis Cluster for the whole session (no persistence)."""
    cluster = servers.LocalCluster(tmp_path_factory.mktemp("cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def r(request):
    """An empty Redis: fakeredis, the session's real redis-server, or its cluster."""
    bookmarks.forget_shown()  # what an earlier test's catalogue showed
    recommend.forget_settings()  # an earlier test's weights and settings
    section_lists.forget_settings()
    learning.forget()
    if request.param == "fake":
        yield fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
        return
    if request.param == "cluster":
        client = engine_redis.connect(request.getfixturevalue("redis_cluster").url)
    else:
        client = engine_redis.connect(request.getfixturevalue("redis_server").url)
    client.flushall()
    checker = SlotChecker()
    scripts.observers.append(checker)
    try:
        yield client
    finally:
        scripts.observers.remove(checker)
        client.close()
    assert not checker.violations, "script calls across cluster slots:\n" + "\n".join(checker.violations)


@pytest.fixture
def settings():
    return Settings(key_cache_seconds=5.0, rate_limit=1000.0, rate_burst=2000)


@pytest.fixture
def enqueued():
    """What the app handed to the workers: [(service, delivery ids)]."""
    return []


@pytest.fixture
def app(r, settings, enqueued):
    app = create_app(settings, redis=r, enqueue=lambda service, ids: enqueued.append((service, list(ids))))
    app.config["TESTING"] = True
    return app


class Api:
    """The test client with a service's key in every path: api.get("user/7/"). A GET reads
    as after the worker's learning job caught up (engine/learning.py; tests/engine and
    tests/workers test the learning's lag itself)."""

    def __init__(self, client, key: str, r=None):
        self.client = client
        self.key = key
        self.r = r

    def url(self, path: str) -> str:
        return f"/api/1/{self.key}/{path}"

    def open(self, method: str, path: str, **kwargs):
        return self.client.open(self.url(path), method=method, **kwargs)

    def get(self, path, **kwargs):
        if self.r is not None:
            learning.run(self.r, seconds=60)
        return self.open("GET", path, **kwargs)

    def put(self, path, **kwargs):
        return self.open("PUT", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.open("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.open("DELETE", path, **kwargs)


def snapshot(r):
    """Every key and value except rate-limit buckets: what a refused request must not change
    (after the learning job caught up, as Api.get leaves it)."""
    learning.run(r, seconds=60)
    state = {}
    for name in sorted(r.keys("*")):
        if name.startswith("tt:ratelimit:"):
            continue
        kind = r.type(name)
        state[name] = r.hgetall(name) if kind == "hash" else (kind, r.dump(name))
    return state


def make_key(r, service="acme", plan="commercial", **limits) -> str:
    key, _ = tenants.create_key(r, service, plan, now_ms=1_700_000_000_000, **limits)
    return key


@pytest.fixture
def api(app, r):
    """A commercial key of service `acme`."""
    return Api(app.test_client(), make_key(r), r)


@pytest.fixture
def other_api(app, r):
    """A key of another service, `rival`."""
    return Api(app.test_client(), make_key(r, service="rival"), r)
