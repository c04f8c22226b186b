"""`tanktop run` on a fresh data folder: embedded Redis, a printed development key, the API
and a worker; stopped and started again, it keeps its data and prints no new key."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from engine import servers

pytestmark = pytest.mark.system


def start(tmp_path, port):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(TANKTOP_DATA_DIR=str(tmp_path), TANKTOP_PORT=str(port), TANKTOP_WEB_WORKERS="1")
    process = subprocess.Popen(  # a session of its own, as a terminal would start it
        [sys.executable, "-m", "engine.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    process.lines = []
    threading.Thread(target=lambda: process.lines.extend(process.stdout), daemon=True).start()
    return process


def output(process) -> str:
    return "".join(process.lines)


def wait_until_up(process, port, timeout=30):
    """What the service printed by the time its API answers /healthz."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, output(process)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return output(process)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError("the service did not come up:\n" + output(process))


def call(method, url, body=None):
    request = urllib.request.Request(
        url,
        method=method,
        data=body and json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stop(process, how="term"):
    """SIGTERM to the supervisor; SIGINT to its whole process group, as Ctrl-C sends it; or
    SIGHUP to the supervisor, as a closing terminal sends it."""
    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(signal.SIGHUP if how == "hup" else signal.SIGTERM)
    assert process.wait(30) == 0, output(process)


def nothing_listens(port):
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_run_starts_everything_and_keeps_data_across_restarts(tmp_path):
    port = servers.free_port()
    process = start(tmp_path, port)
    try:
        printed = wait_until_up(process, port)
        keys = re.findall(r"\btt_[A-Za-z0-9_-]{20,}", printed)
        assert len(keys) == 1, printed
        base = f"http://127.0.0.1:{port}/api/1/{keys[0]}"
        assert call("PUT", f"{base}/user/7/", {"name": "Bob"})[0] == 201
        assert call("GET", f"http://127.0.0.1:{port}/readyz")[0] == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            metrics = answer.read().decode()
        put = (
            'tanktop_http_requests_total{method="PUT",route="/api/1/<apikey>/user/<id:uid>/",status="201"}'
            " 1.0"
        )
        assert put in metrics  # from whichever web process answered: they share their counts
        assert 'tanktop_rq_queue_jobs{queue="default"}' in metrics
        deadline = time.monotonic() + 10
        while "Scheduler for " not in output(process) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "Listening on webhooks, default" in output(process), output(process)  # the RQ worker
        assert "Scheduler for " in output(process)  # and its scheduler
    finally:
        stop(process)
    assert not servers.RedisServer(tmp_path / "redis").is_running()
    assert (tmp_path / "redis" / "appendonly.aof").exists()

    process = start(tmp_path, port)
    try:
        assert "development key" not in wait_until_up(process, port)
        assert call("GET", f"{base}/user/7/") == (200, {"id": "7", "name": "Bob"})
    finally:
        stop(process, "ctrl-c")
    # Ctrl-C reached only the supervisor: one clean shutdown, Redis last, nothing left over.
    assert "Traceback" not in output(process), output(process)
    assert nothing_listens(port)
    assert not servers.RedisServer(tmp_path / "redis").is_running()

    process = start(tmp_path, port)
    try:
        wait_until_up(process, port)
    finally:
        stop(process, "hup")
    assert "Traceback" not in output(process), output(process)
    assert nothing_listens(port)
    assert not servers.RedisServer(tmp_path / "redis").is_running()


def test_killing_the_supervisor_outright_leaves_nothing_running(tmp_path):
    port = servers.free_port()
    process = start(tmp_path, port)
    try:
        wait_until_up(process, port)
    finally:
        process.send_signal(signal.SIGKILL)  # no chance to clean up: the kernel tells the children
        process.wait()
    deadline = time.monotonic() + 20
    while (not nothing_listens(port) or servers.RedisServer(tmp_path / "redis").is_running()) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert nothing_listens(port)
    assert not servers.RedisServer(tmp_path / "redis").is_running()
