"""`python -m workers`: an RQ worker on every queue, with RQ's scheduler."""

from __future__ import annotations

from rq import Worker
from rq.serializers import JSONSerializer

from engine import logs
from engine.settings import Settings
from workers import jobs, queues


def build_worker(settings: Settings) -> Worker:
    conn = queues.connection(settings)
    return Worker(
        [queues.queue(name, conn) for name in queues.ALL], connection=conn, serializer=JSONSerializer
    )


def main() -> None:
    logs.configure()
    assert jobs  # imported here, before the work horses fork: each job would import the engine again
    build_worker(Settings.from_env()).work(with_scheduler=True)


if __name__ == "__main__":
    main()
