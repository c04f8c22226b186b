"""The engine on a real 3-master Redis Cluster, reached by a cluster URL."""

import pytest

from engine import profiles, ratelimit, tenants
from engine import redis as engine_redis
from engine.settings import Settings

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    local = engine_redis.LocalCluster(tmp_path_factory.mktemp("cluster"))
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


def test_rq_refuses_to_share_a_cluster(cluster):
    from engine.settings import SettingsError

    with pytest.raises(SettingsError, match="RQ_REDIS_URL"):
        engine_redis.rq_url(Settings(redis_url=cluster.url))
    assert engine_redis.rq_url(Settings(redis_url=cluster.url, rq_redis_url="redis://x/0")) == "redis://x/0"
