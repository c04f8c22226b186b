"""`tanktop run`: the whole service in one command, for development and small installs.

Starts the embedded Redis when REDIS_URL is unset, creates and prints a development key
on first start, then runs the Procfile's processes (web and worker) until one stops or the
supervisor is interrupted, and stops them all (Redis last, so its AOF is flushed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from engine import redis as engine_redis
from engine import tenants
from engine.settings import Settings, SettingsError

DEV_SERVICE = "dev"


def web_command(settings: Settings) -> list[str]:
    """The production web server for the API, as chosen by the benchmark (README)."""
    if settings.web_server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            settings.host,
            "--port",
            str(settings.port),
            "--workers",
            str(settings.web_workers),
            "--blocking-threads",
            str(settings.web_threads),
            "--no-ws",
            "api.wsgi:app",
        ]
    return [sys.executable, "-m", "gunicorn", "--config", "python:api.gunicorn_conf", "api.wsgi:app"]


def web(settings: Settings) -> int:
    """`tanktop web`: become the web server (the Procfile's web process)."""
    if not settings.redis_url:
        raise SettingsError("tanktop web needs REDIS_URL; `tanktop run` starts an embedded Redis")
    command = web_command(settings)
    os.execv(command[0], command)
    return 0  # not reached


def worker_command() -> list[str]:
    return [sys.executable, "-m", "workers"]


def ensure_dev_key(r) -> str | None:
    """On a Redis with no keys at all, create a commercial key for service `dev`."""
    if tenants.count_keys(r):
        return None
    key, _ = tenants.create_key(r, DEV_SERVICE, "commercial", now_ms=int(time.time() * 1000))
    return key


def run(settings: Settings) -> int:
    env = dict(os.environ)
    server = None
    if settings.redis_url:
        redis_url = settings.redis_url
    else:
        embedded = engine_redis.RedisServer(settings.data_dir / "redis")
        if embedded.is_running():
            print(f"tanktop: using the embedded Redis already running at {embedded.url}", flush=True)
        else:
            embedded.start()
            server = embedded
            print(f"tanktop: embedded Redis at {embedded.url} (AOF under {embedded.directory})", flush=True)
        redis_url = env["REDIS_URL"] = embedded.url
    r = engine_redis.connect(redis_url, cluster=settings.redis_cluster)
    key = ensure_dev_key(r)
    if key:
        print(
            f"tanktop: created a development key for service '{DEV_SERVICE}' (commercial plan); "
            f"it is shown only now:\n\n    {key}\n",
            flush=True,
        )

    children = {
        "web": subprocess.Popen(web_command(settings), env=env),
        "worker": subprocess.Popen(worker_command(), env=env),
    }
    print(f"tanktop: API on http://{settings.host}:{settings.port}/ (Ctrl-C stops)", flush=True)
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    code = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"tanktop: {name} exited with {child.returncode}; stopping", file=sys.stderr)
                    code = child.returncode or 1
                    stopping.append(True)
            time.sleep(0.2)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        if server:
            server.stop()
    return code
