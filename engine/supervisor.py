"""`tanktop run`: the whole service in one command, for development and small installs.

Starts the embedded Redis when REDIS_URL is unset, creates and prints a development key
on first start, then runs the Procfile's processes (web and worker) until one stops or the
supervisor is told to stop, and stops them all: web and worker first, Redis last, so its
AOF is flushed after the last write.

Every child runs in a process group of its own, so a Ctrl-C in the terminal reaches only
the supervisor, which then sends each child exactly one SIGTERM (a second signal turns a
graceful shutdown into a cold one) and finally clears each group of stragglers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from engine import clock, tenants
from engine import redis as engine_redis
from engine.settings import Settings, SettingsError

DEV_SERVICE = "dev"
STOP_SECONDS = 15


def web_command(settings: Settings, app: str = "api.wsgi:app") -> list[str]:
    """The web server for `app`, as chosen by the benchmark (README)."""
    if settings.web_server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "wsgi",
            "--host", settings.host, "--port", str(settings.port),
            "--workers", str(settings.web_workers), "--blocking-threads", str(settings.web_threads),
            "--http", "1", "--no-ws", app,
        ]  # fmt: skip
    return [sys.executable, "-m", "gunicorn", "--config", "python:api.gunicorn_conf", app]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "workers"]


def web(settings: Settings) -> int:
    """`tanktop web`: become the web server (the Procfile's web process)."""
    if not settings.redis_url:
        raise SettingsError("tanktop web needs REDIS_URL; `tanktop run` starts an embedded Redis")
    command = web_command(settings)
    os.execv(command[0], command)
    return 0  # not reached


def ensure_dev_key(r) -> str | None:
    """On a Redis with no keys at all, create a commercial key for service `dev`."""
    if tenants.count_keys(r):
        return None
    key, _ = tenants.create_key(r, DEV_SERVICE, "commercial", now_ms=clock.now_ms())
    return key


def reap(child: subprocess.Popen) -> None:
    """Wait for a child told to stop, then SIGKILL whatever is left in its group."""
    try:
        child.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)  # workers the child left behind


def run(settings: Settings) -> int:
    stopping: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: stopping.append(signum))
    env = dict(os.environ)
    server: engine_redis.RedisServer | None = None
    children: dict[str, subprocess.Popen] = {}
    code = 0
    try:
        if settings.redis_url:
            redis_url = settings.redis_url
        else:
            embedded = engine_redis.RedisServer(settings.data_dir / "redis")
            if embedded.is_running():
                print(f"tanktop: using the embedded Redis already running at {embedded.url}", flush=True)
            else:
                embedded.start()
                server = embedded
                print(f"tanktop: embedded Redis at {embedded.url}, AOF in {embedded.directory}", flush=True)
            redis_url = env["REDIS_URL"] = embedded.url
        r = engine_redis.connect(redis_url, cluster=settings.redis_cluster)
        key = ensure_dev_key(r)
        if key:
            print(
                f"tanktop: created a development key for service '{DEV_SERVICE}' (commercial plan); "
                f"it is shown only now:\n\n    {key}\n",
                flush=True,
            )
        for name, command in (("web", web_command(settings)), ("worker", worker_command())):
            if not stopping:
                children[name] = subprocess.Popen(command, env=env, process_group=0)
        print(f"tanktop: API on http://{settings.host}:{settings.port}/ (Ctrl-C stops)", flush=True)
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"tanktop: {name} exited with {child.returncode}; stopping", file=sys.stderr)
                    code = child.returncode or 1
                    stopping.append(0)
                    break
            time.sleep(0.2)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # web and worker stop side by side
        for child in children.values():
            reap(child)
        if server:
            server.stop()
    return code
