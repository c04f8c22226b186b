"""One owner per embedded Redis folder; servers die with whoever started them."""

import signal
import subprocess
import sys
import time

import pytest

from engine import cli, servers
from engine.settings import Settings

pytestmark = pytest.mark.system


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_second_owner_is_refused_while_the_first_runs(tmp_path):
    first = servers.RedisServer(tmp_path, persist=False)
    first.start()
    try:
        second = servers.RedisServer(tmp_path, persist=False)
        assert not second.claim()
        with pytest.raises(servers.ServerError, match="owns"):
            second.start()
        assert first.is_ready()
    finally:
        first.stop()
    assert not first.is_running()


def test_a_command_uses_the_running_server_and_leaves_it_running(tmp_path):
    owner = servers.RedisServer(tmp_path / "redis", persist=False)
    owner.start()
    try:
        with cli.open_redis(Settings(data_dir=tmp_path)) as r:
            r.set("probe", "1")
        assert owner.is_ready()
    finally:
        owner.stop()


def test_a_long_folder_gets_a_short_stable_socket(tmp_path):
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    first = servers.RedisServer(deep, persist=False)
    second = servers.RedisServer(deep, persist=False)
    assert len(str(first.socket_path)) <= 100 and first.socket_path == second.socket_path
    first.start()
    try:
        assert second.is_running()
        with pytest.raises(servers.ServerError):
            second.start()
    finally:
        first.stop()


def test_a_server_left_without_an_owner_can_be_adopted_and_stopped(tmp_path):
    left = servers.RedisServer(tmp_path, persist=False)
    left.start()
    left.release()  # as if its owner had lost track of it
    try:
        adopter = servers.RedisServer(tmp_path, persist=False)
        assert adopter.claim() and adopter.is_running()
        adopter.stop()
        wait_until(lambda: left.process.poll() is not None)
    finally:
        left.stop()


def test_a_server_dies_with_the_process_that_started_it(tmp_path):
    port = servers.free_port()
    starter = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom engine.servers import RedisServer\n"
            f"RedisServer({str(tmp_path)!r}, port={port}, persist=False).start()\n"
            "print('up', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout.readline().strip() == "up"
    probe = servers.RedisServer(tmp_path, port=port)
    assert probe.is_ready()
    starter.send_signal(signal.SIGKILL)
    starter.wait()
    wait_until(lambda: not probe.is_running())
