"""`python -m workers`: an RQ worker on every queue, with RQ's scheduler.

It imports the jobs (and so the engine) before it starts: RQ forks a work horse per job,
and a horse that had to import them itself would spend more on that than on a learning
job (one a second)."""

from __future__ import annotations

from rq import Worker
from rq.serializers import JSONSerializer

from engine import logs
from engine.settings import Settings
from workers import jobs, queues  # noqa: F401 (jobs: see above)


def build_worker(settings: Settings) -> Worker:
    conn = queues.connection(settings)
    return Worker(
        [queues.queue(name, conn) for name in queues.ALL], connection=conn, serializer=JSONSerializer
    )


def main() -> None:
    logs.configure()
    build_worker(Settings.from_env()).work(with_scheduler=True)


if __name__ == "__main__":
    main()
