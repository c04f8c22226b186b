"""Queue names, the RQ connection, the serializer every job uses, and the periodic jobs."""

from __future__ import annotations

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from engine.redis import connect, rq_url
from engine.settings import Settings

DEFAULT = "default"
ALL = (DEFAULT,)

#: Periodic jobs the clock process enqueues: job function -> period in seconds.
PERIODIC = {
    "workers.jobs.sweep_log_purges": 60,
}


def connection(settings: Settings) -> redis.Redis:
    """RQ's own client: the standalone Redis of RQ_REDIS_URL, bytes in and out."""
    return connect(rq_url(settings), decode=False)


def queue(name: str, conn: redis.Redis) -> Queue:
    return Queue(name, connection=conn, serializer=JSONSerializer)
