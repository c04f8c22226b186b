"""`python -m workers.clock`: enqueues the periodic jobs (queues.PERIODIC) on time.

RQ's own cron enqueues with RQ's default (pickle) serializer, which a JSON-serializer
worker cannot read; this clock enqueues with the same serializer as every other job.
Any number of clocks may run: each period, the one that takes the job's lock (SET NX with
the period as expiry, in RQ's Redis) enqueues it, and a clock that dies loses nothing but
its turn.
"""

from __future__ import annotations

import signal
import time

import redis

from engine import keys, logs
from engine.settings import Settings
from workers import queues


def tick(conn: redis.Redis, periodic: dict[str, int] = queues.PERIODIC) -> list[str]:
    """Enqueue every periodic job whose period has come round; returns their names."""
    enqueued = []
    for job, seconds in periodic.items():
        if conn.set(keys.clock_lock(job), b"1", nx=True, ex=seconds):
            queues.queue(queues.DEFAULT, conn).enqueue(job, job_timeout=max(seconds * 10, 600))
            enqueued.append(job)
    return enqueued


def main() -> None:
    logs.configure()
    conn = queues.connection(Settings.from_env())
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.clear())
    signal.signal(signal.SIGINT, lambda *_: running.clear())
    while running:
        tick(conn)
        time.sleep(1)


if __name__ == "__main__":
    main()
