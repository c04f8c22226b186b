import pytest
from rq.serializers import JSONSerializer

from engine.settings import Settings, SettingsError
from workers import queues
from workers.__main__ import build_worker


def test_worker_listens_on_every_queue_of_rq_redis(redis_server):
    worker = build_worker(Settings(redis_url=redis_server.url))
    assert worker.queue_names() == list(queues.ALL)
    assert worker.serializer is JSONSerializer
    assert worker.connection.ping()


def test_rq_gets_its_own_standalone_redis_beside_a_cluster():
    settings = Settings(redis_url="redis+cluster://127.0.0.1:1", rq_redis_url="redis://127.0.0.1:2/0")
    assert queues.connection(settings).connection_pool.connection_kwargs["port"] == 2
    with pytest.raises(SettingsError):
        queues.connection(Settings(redis_url="redis+cluster://127.0.0.1:1"))
