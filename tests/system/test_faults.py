"""Faults under load, nothing lost (issue 9, point 2).

The web server (granian, 2 processes, as `tanktop web` runs it) and an RQ worker on a
Redis with its AOF, while writers POST events with known ids (one new item per request)
and record which were acknowledged: one web process is killed outright; a film that five
users asked to hear of becomes available and the worker is killed while the first webhook
waits for its answer (another worker takes over); then Redis is stopped and started again
from its AOF. Afterwards every acknowledged event is stored and every due webhook arrived,
once by `webhook-id`; meanwhile nothing answered a 5xx other than 503 (with Retry-After)
and the service came back by itself."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine import keys, notifications, servers, supervisor, tenants, webhooks
from engine import redis as engine_redis
from engine.clock import now_ms
from engine.settings import Settings
from tests.conftest import make_key
from tests.receiver import Receiver

pytestmark = pytest.mark.system

USERS = 20
ASKING = [f"fan{n}" for n in range(5)]  # users with a notification request on film w1


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


def call(port: int, key: str, method: str, path: str, body: bytes | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(
        method, f"/api/1/{key}/{path}", body=body, headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    response.read()
    return response.status


def start_worker(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workers"], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def test_nothing_acknowledged_is_lost_when_processes_die_and_redis_restarts(tmp_path):
    redis = servers.RedisServer(tmp_path / "redis", port=servers.free_port(), persist=True)
    redis.start()
    port = servers.free_port()
    env = dict(os.environ, REDIS_URL=redis.url, TANKTOP_PORT=str(port), TANKTOP_WEB_WORKERS="2",
               TANKTOP_REDIS_TIMEOUT="2", PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
               TANKTOP_WEBHOOK_ALLOW_PRIVATE="1", TANKTOP_WEBHOOK_TIMEOUT="5")  # fmt: skip
    for name in ("REDIS_CLUSTER", "RQ_REDIS_URL"):
        env.pop(name, None)
    log = open(tmp_path / "web.log", "w")  # noqa: SIM115 (closed below)
    web = subprocess.Popen(supervisor.web_command(Settings.from_env(env)), env=env, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    worker_log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 (closed below)
    workers = [start_worker(env, worker_log)]
    writers: list[Writer] = []
    hook = Receiver().__enter__()
    try:
        r = engine_redis.connect(redis.url, timeout=2)
        key = make_key(r, service="faults", rate=0)
        wait_for(lambda: answers(port))
        asked = json.dumps({"url": hook.url}).encode()
        assert {call(port, key, "POST", f"notification/{user}/movie/w1/", asked) for user in ASKING} == {204}
        writers = [Writer(port, key, first, 4) for first in range(4)]
        for writer in writers:
            writer.start()
        time.sleep(1.5)

        web_processes = children(web.pid)
        assert len(web_processes) == 2, web_processes
        os.kill(web_processes[0], signal.SIGKILL)  # (a) a web process dies mid-request
        time.sleep(1)
        wait_for(lambda: len(children(web.pid)) == 2)  # granian started another

        hook.plan("hold")  # (b) the first webhook gets no answer while its worker is killed
        offer = json.dumps({"availability": [{"source_id": 7, "price": 0}]}).encode()
        assert call(port, key, "PUT", "item/movie/w1/", offer) in (200, 201)
        hook.wait_for(1)
        horses = children(workers[0].pid)
        assert horses  # the job runs in a forked horse
        for horse in horses:  # RQ's work horse, in a session of its own
            os.kill(horse, signal.SIGKILL)
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(10)
        hook.released.set()
        workers.append(start_worker(env, worker_log))
        time.sleep(1)

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
        for process in [web, *workers]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(30)
        log.close()
        worker_log.close()

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

        # the held delivery waits for its sender's lease to run out: the sweep then (time
        # moved on rather than waited)
        later = now_ms() + notifications.LEASE_MS + notifications.GRACE_MS + 10_000
        secrets = tenants.webhook_secrets(r, "faults", now_ms=later).signing()

        def post(url, body, headers):
            return webhooks.post(url, body, headers, timeout=5, allow_private=True)

        for delivery in notifications.claim_due(r, "faults", now_ms=later):
            notifications.deliver(r, "faults", delivery, secrets=secrets, post=post, now_ms=later)
        came = hook.requests
        users_by_id: dict[str, set[str]] = {}
        for request in came:
            users_by_id.setdefault(request.headers["webhook-id"], set()).add(request.form["user_id"])
        assert sorted(user for (user,) in users_by_id.values()) == ASKING  # each once by webhook-id
        # on the wire a webhook comes again when its sender died before it could record the
        # answer: the held one, and any the killed horse had sent; at most twice each
        assert len(ASKING) <= len(came) <= 2 * len(ASKING)
        stored = r.hgetall(keys.deliveries("faults")).values()
        assert sorted(delivery.split("\t")[0] for delivery in stored) == ["delivered"] * len(ASKING)
    finally:
        hook.__exit__(None, None, None)
        redis.stop()
