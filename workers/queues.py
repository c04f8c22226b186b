"""Queue names, the RQ connection, the serializer every job uses, and the periodic jobs."""

from __future__ import annotations

from collections.abc import Sequence

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from engine.redis import connect, rq_url
from engine.settings import Settings

WEBHOOKS = "webhooks"
DEFAULT = "default"
ALL = (WEBHOOKS, DEFAULT)  # a worker takes webhook deliveries first

#: Deliveries per job (sent several at once): small enough to spread over the workers,
#: big enough that a job's own cost (a fork, RQ's bookkeeping) is small beside them.
DELIVERY_CHUNK = 100

#: Periodic jobs the clock process enqueues: job function -> period in seconds.
PERIODIC = {
    "workers.jobs.learn": 1,
    "workers.jobs.sweep_log_purges": 60,
    "workers.jobs.sweep_outboxes": 10,
    "workers.jobs.close_live_sessions": 60,
    "workers.jobs.move_popularity_landmarks": 3600,
    "workers.jobs.compact_section_boosts": 3600,
}


def connection(settings: Settings) -> redis.Redis:
    """RQ's own client: the standalone Redis of RQ_REDIS_URL, bytes in and out."""
    return connect(rq_url(settings), decode=False)


def queue(name: str, conn: redis.Redis) -> Queue:
    return Queue(name, connection=conn, serializer=JSONSerializer)


def enqueue_deliveries(
    conn: redis.Redis, service: str, delivery_ids: Sequence[str], *, timeout: float
) -> int:
    """Enqueue webhook deliveries, DELIVERY_CHUNK a job, in one round trip; returns the jobs."""
    webhooks = queue(WEBHOOKS, conn)
    chunks = [list(delivery_ids[i : i + DELIVERY_CHUNK]) for i in range(0, len(delivery_ids), DELIVERY_CHUNK)]
    jobs = [
        Queue.prepare_data(
            "workers.jobs.deliver",
            args=(service, chunk),
            timeout=int(len(chunk) * (3 * timeout + 5) + 60),  # as if sent one by one
            result_ttl=0,
        )
        for chunk in chunks
    ]
    if jobs:
        webhooks.enqueue_many(jobs)
    return len(jobs)


def depths(conn: redis.Redis) -> dict[str, tuple[int, int]]:
    """Per queue: jobs waiting, and jobs in its failed registry (for /metrics)."""
    from rq.registry import FailedJobRegistry

    found = {}
    for name in ALL:
        q = queue(name, conn)
        found[name] = (q.count, FailedJobRegistry(queue=q).count)
    return found
