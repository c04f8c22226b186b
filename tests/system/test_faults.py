"""Faults under load, nothing lost (issue 9, point 2).

The web server (granian, 2 processes, as `tanktop web` runs it) on a Redis with its AOF,
while writers POST events with known ids (one new item per request) and record which were
acknowledged: one web process is killed outright, then Redis is stopped and started again
from its AOF. Afterwards every acknowledged event is stored; meanwhile nothing answered a
5xx other than 503 (with Retry-After) and the service came back by itself. (A worker
killed mid-delivery: tests/system/test_webhook_delivery.py.)"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from engine import keys, servers, supervisor
from engine import redis as engine_redis
from engine.settings import Settings
from tests.conftest import make_key

pytestmark = pytest.mark.system

USERS = 20


class Writer(threading.Thread):
    """POSTs `seen` events, each on a new movie, until stopped; keeps every outcome."""

    def __init__(self, port: int, key: str, first: int, step: int):
        super().__init__(daemon=True)
        self.port, self.key, self.next, self.step = port, key, first, step
        self.outcomes: list[tuple[float, int, int | None, str | None]] = []  # (time, n, status, Retry-After)
        self.stopping = threading.Event()

    def run(self) -> None:
        connection = None
        while not self.stopping.is_set():
            n, self.next = self.next, self.next + self.step
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("POST", f"/api/1/{self.key}/event/u{n % USERS}/seen/movie/m{n}/")
                response = connection.getresponse()
                response.read()
                self.outcomes.append(
                    (time.monotonic(), n, response.status, response.getheader("Retry-After"))
                )
            except (OSError, http.client.HTTPException):  # a killed process: not acknowledged
                self.outcomes.append((time.monotonic(), n, None, None))
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.01)


def wait_for(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_acknowledged_events_survive_a_killed_web_process_and_a_redis_restart(tmp_path):
    redis = servers.RedisServer(tmp_path / "redis", port=servers.free_port(), persist=True)
    redis.start()
    port = servers.free_port()
    env = dict(os.environ, REDIS_URL=redis.url, TANKTOP_PORT=str(port), TANKTOP_WEB_WORKERS="2",
               TANKTOP_REDIS_TIMEOUT="2", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))  # fmt: skip
    env.pop("REDIS_CLUSTER", None)
    log = open(tmp_path / "web.log", "w")  # noqa: SIM115 (closed below)
    web = subprocess.Popen(supervisor.web_command(Settings.from_env(env)), env=env, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    writers: list[Writer] = []
    try:
        r = engine_redis.connect(redis.url, timeout=2)
        key = make_key(r, service="faults", rate=0)
        wait_for(lambda: answers(port))
        writers = [Writer(port, key, first, 4) for first in range(4)]
        for writer in writers:
            writer.start()
        time.sleep(1.5)

        workers = children(web.pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)  # (a) a web process dies mid-request
        time.sleep(2)
        wait_for(lambda: len(children(web.pid)) == 2)  # granian started another

        redis.stop()  # (c) Redis goes away...
        down = time.monotonic()
        time.sleep(2)
        redis.start()  # ...and comes back from its AOF
        up = time.monotonic()
        time.sleep(3)
    finally:
        for writer in writers:
            writer.stopping.set()
        for writer in writers:
            writer.join(10)
        web.send_signal(signal.SIGTERM)
        web.wait(30)
        log.close()

    try:
        outcomes = [outcome for writer in writers for outcome in writer.outcomes]
        statuses = {status for _, _, status, _ in outcomes}
        assert statuses <= {204, 503, None}, (statuses, (tmp_path / "web.log").read_text()[-3000:])
        unavailable = [(at, retry) for at, _, status, retry in outcomes if status == 503]
        assert unavailable and all(retry == "1" for _, retry in unavailable)
        assert all(down - 1 <= at <= up + 5 for at, _ in unavailable)  # only while Redis was away
        assert any(status == 204 and at > up for at, _, status, _ in outcomes)  # back by itself
        acknowledged = [n for _, n, status, _ in outcomes if status == 204]
        assert len(acknowledged) > 100
        r = engine_redis.connect(redis.url, timeout=2)
        pipe = r.pipeline(transaction=False)
        for n in acknowledged:
            pipe.zscore(keys.event_times("faults", f"u{n % USERS}", "movie", "seen"), f"m{n}")
        missing = [n for n, score in zip(acknowledged, pipe.execute(), strict=True) if score is None]
        assert not missing, f"{len(missing)} acknowledged events missing: {missing[:20]}"
    finally:
        redis.stop()
