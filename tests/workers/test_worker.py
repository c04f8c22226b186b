import subprocess
import sys

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


def test_the_worker_has_the_jobs_and_engine_loaded_before_its_work_horses_fork():
    """A work horse (a fork per job) inherits them: the learning job comes every second,
    and importing the engine in each horse cost more than the learning."""
    check = "import sys, workers.__main__; assert {'workers.jobs', 'engine.recommend'} <= set(sys.modules)"
    subprocess.run([sys.executable, "-c", check], check=True)
