"""`tanktop run`: the whole service in one command, for development and small installs.

Starts the embedded Redis when REDIS_URL is unset, creates and prints a development key
on first start, then runs the Procfile's processes (web and worker) until one stops or the
supervisor is told to stop, and stops them all: web and worker first, Redis last, so its
AOF is flushed after the last write.

Every child runs in a process group of its own, so a Ctrl-C in the terminal reaches only
the supervisor, which then sends each child exactly one SIGTERM (a second signal turns a
graceful shutdown into a cold one) and finally clears each group of stragglers. Children
get SIGTERM from the kernel if the supervisor dies without doing so (SIGKILL, a crash).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time

from engine import clock, servers, tenants
from engine import redis as engine_redis
from engine.settings import Settings, SettingsError

DEV_SERVICE = "dev"
STOP_SECONDS = 15
CLAIM_SECONDS = 15


def web_command(settings: Settings, app: str = "api.wsgi:app") -> list[str]:
    """The web server for `app`, as chosen by the benchmark (README)."""
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
            "--http",
            "1",
            "--no-ws",
            "--respawn-failed-workers",  # a web process that dies (OOM-killed, say) is replaced
            app,
        ]
    return [sys.executable, "-m", "gunicorn", "--config", "python:api.gunicorn_conf", app]


def worker_commands() -> dict[str, list[str]]:
    """The RQ worker (with RQ's scheduler) and the clock that enqueues periodic jobs."""
    return {"worker": [sys.executable, "-m", "workers"], "clock": [sys.executable, "-m", "workers.clock"]}


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


def embedded_redis(settings: Settings) -> servers.RedisServer:
    """The embedded Redis, owned by this process: started, or adopted if one was left
    running with no owner. Waits a little for a `tanktop keys` command to finish with it."""
    server = servers.RedisServer(settings.data_dir / "redis")
    if not server.claim(wait=CLAIM_SECONDS):
        raise servers.ServerError(
            f"another tanktop process owns the embedded Redis in {server.directory}; "
            "stop it first (or set REDIS_URL)"
        )
    if server.is_running():
        server.wait_ready()
        print(f"tanktop: adopting the embedded Redis left running at {server.url}", flush=True)
    else:
        server.start()
        print(f"tanktop: embedded Redis at {server.url}, AOF in {server.directory}", flush=True)
    return server


class Stop(Exception):
    """A stop signal arrived before the service was up."""


def run(settings: Settings) -> int:
    """Run the service until a signal or a child's exit; the exit code says which."""
    stopping: list[int] = []
    children: dict[str, subprocess.Popen] = {}

    def on_signal(signum, frame):
        stopping.append(signum)
        if not children:
            raise Stop  # still starting: abandon the start (the finally below cleans up)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, on_signal)
    env = dict(os.environ)
    if not settings.metrics_dir:  # every child's metrics in files /metrics sums (api/observe.py)
        metrics = settings.data_dir / "metrics"
        shutil.rmtree(metrics, ignore_errors=True)  # a run's counts start at 0
        metrics.mkdir(parents=True, exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics.resolve())
    server: servers.RedisServer | None = None
    code = 0
    try:
        if not settings.redis_url:
            server = embedded_redis(settings)
            env["REDIS_URL"] = server.url
        r = engine_redis.connect(env["REDIS_URL"], cluster=settings.redis_cluster)
        key = ensure_dev_key(r)
        if key:
            print(
                f"tanktop: created a development key for service '{DEV_SERVICE}' (commercial plan); "
                f"it is shown only now:\n\n    {key}\n",
                flush=True,
            )
        for name, command in {"web": web_command(settings), **worker_commands()}.items():
            children[name] = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                process_group=0,  # Ctrl-C reaches the supervisor alone; it stops each child once
                preexec_fn=servers.die_with_parent(os.getpid()),
            )
        print(f"tanktop: API on http://{settings.host}:{settings.port}/ (Ctrl-C stops)", flush=True)
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"tanktop: {name} exited with {child.returncode}; stopping", file=sys.stderr)
                    status = child.returncode
                    code = 128 - status if status < 0 else status or 1
                    stopping.append(0)
                    break
            time.sleep(0.2)
    except Stop:
        pass
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)  # web and worker stop side by side
        for child in children.values():
            reap(child)
        if server:
            server.stop()
    return code
