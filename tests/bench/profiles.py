"""Profile GET and PATCH throughput and latency against a bare Flask handler, in one run.

    python -m tests.bench.profiles [--servers gunicorn,granian] [--duration 10] ...

Starts a real redis-server (AOF off unless --aof: this measures the service, not the disk)
holding 1,000 profiles, then
for each WSGI server: the bare Flask app (tests/bench/baseline.py) and the real API (api.wsgi) in turn,
each loaded by wrk over loopback with the same workers, threads and connections, a random
user per request. Prints a Markdown table with each figure and its ratio to the bare
handler. Needs `wrk` (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from engine import profiles, servers, tenants
from engine import redis as engine_redis
from engine.settings import Settings
from engine.supervisor import web_command

PROFILE = {
    "name": "Bob",
    "country": "GB",
    "languages": ["en", "fr"],
    "prefs": {"subtitles": True, "quality": "HD", "autoplay": False},
    "devices": [{"type": "tv", "id": "lounge"}, {"type": "phone", "id": "p1"}],
    "birth_year": 1984,
    "household": 3,
}
USERS = 1000
WORKLOADS = {
    "GET profile": ("GET", None),
    "PATCH scalars": ("PATCH", '{"last_seen": 1763800000, "sessions": 42}'),
    "PATCH nested": ("PATCH", '{"prefs": {"quality": "UHD"}}'),
}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def wrk(
    base: str, method: str, body: str | None, args, *, duration: int | None = None, script: str | None = None
) -> Result:
    """Load `base`/user/<one of USERS>/ (a random user per request), or what the Lua `script`
    asks for, for `duration` (default args.duration) seconds."""
    lines = [
        f'wrk.method = "{method}"',
        'wrk.headers["Content-Type"] = "application/json"',
        f"wrk.body = '{body}'" if body else "",
        script
        or f'request = function() return wrk.format(nil, "{urlsplit(base).path}/user/u" '
        f'.. math.random(1, {USERS}) .. "/") end',
    ]
    script_file = Path(tempfile.mkstemp(suffix=".lua")[1])
    script = script_file
    script.write_text("\n".join(lines) + "\n")
    command = [
        "wrk",
        "-t",
        str(args.wrk_threads),
        "-c",
        str(args.connections),
        "-d",
        f"{duration or args.duration}s",
        "--latency",
        "-s",
        str(script),
        base,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    script.unlink()
    return parse_wrk(output)


def parse_wrk(output: str) -> Result:
    """wrk --latency's report as a Result: errors are the non-2xx/3xx answers plus every
    socket error (connect, read, write, timeout)."""
    answers = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.*)", output)
    return Result(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(re.search(r"\s50%\s+(\S+)", output).group(1)),
        p99_ms=_ms(re.search(r"\s99%\s+(\S+)", output).group(1)),
        errors=(int(answers.group(1)) if answers else 0)
        + (sum(int(n) for n in re.findall(r"\d+", sockets.group(1))) if sockets else 0),
    )


def serve(settings: Settings, app: str, env: dict) -> subprocess.Popen:
    process = subprocess.Popen(
        web_command(settings, app), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(f"http://{settings.host}:{settings.port}/api/1/k/user/7/")
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def print_against_bare(bare: Result, rows: list[tuple[str, Result]]) -> None:
    """A Markdown table of `rows` (the bare handler first) with their ratios to it."""
    print("| figure | req/s | p50 | p99 | p50 / bare | p99 / bare |\n|---|---:|---:|---:|---:|---:|")
    for label, result in [("bare Flask, constant answer (baseline)", bare), *rows]:
        print(
            f"| {label} | {result.rps:,.0f} | {result.p50_ms:.2f} ms | {result.p99_ms:.2f} ms | "
            f"{result.p50_ms / bare.p50_ms:.2f}x | {result.p99_ms / bare.p99_ms:.2f}x |"
        )


def print_pair(title: str, base: tuple[str, Result], other: tuple[str, Result], ratio: str) -> None:
    """A Markdown table of two event POST figures and the second's ratio to the first."""
    print(f"\n| {title} | req/s | p50 | p99 |\n|---|---:|---:|---:|")
    for label, result in (base, other):
        print(f"| {label} | {result.rps:,.0f} | {result.p50_ms:.2f} ms | {result.p99_ms:.2f} ms |")
    (_, first), (_, second) = base, other
    print(
        f"| {ratio} | {second.rps / first.rps:.2f}x throughput | "
        f"{second.p50_ms / first.p50_ms:.2f}x | {second.p99_ms / first.p99_ms:.2f}x |"
    )


def median(results: list[Result]) -> Result:
    """The run with the median throughput (its latencies with it): this host is shared."""
    return sorted(results, key=lambda result: result.rps)[len(results) // 2]


def measure(server: str, redis_url: str, key: str, args) -> dict[str, tuple[Result, Result]]:
    port = servers.free_port()
    env = dict(
        os.environ,
        REDIS_URL=redis_url,
        TANKTOP_PORT=str(port),
        TANKTOP_WEB_SERVER=server,
        TANKTOP_WEB_WORKERS=str(args.workers),
        TANKTOP_WEB_THREADS=str(args.threads),
    )
    settings = Settings.from_env(env)
    runs: dict[tuple[str, str], list[Result]] = {}
    for _ in range(args.repeat):  # bare and API alternate, so drift hits both alike
        for app, apikey in (("tests.bench.baseline:app", "k"), ("api.wsgi:app", key)):
            process = serve(settings, app, env)
            try:
                base = f"http://127.0.0.1:{port}/api/1/{apikey}"
                wrk(base, "GET", None, argparse.Namespace(**{**vars(args), "duration": 2}))  # warm up
                for name, (method, body) in WORKLOADS.items():
                    runs.setdefault((name, app), []).append(wrk(base, method, body, args))
            finally:
                stop(process)
    return {
        name: (median(runs[name, "tests.bench.baseline:app"]), median(runs[name, "api.wsgi:app"]))
        for name in WORKLOADS
    }


def table(rows: list[tuple[str, str, Result, Result]]) -> str:
    lines = [
        "| server | workload | bare Flask req/s | API req/s | ratio "
        "| bare p50 / p99 ms | API p50 / p99 ms | p99 ratio | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for server, name, bare, real in rows:
        lines.append(
            f"| {server} | {name} | {bare.rps:,.0f} | {real.rps:,.0f} | {real.rps / bare.rps:.2f} "
            f"| {bare.p50_ms:.2f} / {bare.p99_ms:.2f} | {real.p50_ms:.2f} / {real.p99_ms:.2f} "
            f"| {real.p99_ms / bare.p99_ms:.2f} | {bare.errors + real.errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", default="gunicorn,granian")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--aof", action="store_true", help="Redis with AOF (fsync every second)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median is shown")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    server_names = [s for s in args.servers.split(",") if s]
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        server = servers.RedisServer(Path(directory), port=servers.free_port(), persist=args.aof)
        server.start()
        try:
            r = engine_redis.connect(server.url)
            key, _ = tenants.create_key(r, "bench", "commercial", rate=0, now_ms=int(time.time() * 1000))
            for i in range(1, USERS + 1):
                profiles.put(r, "bench", f"u{i}", PROFILE)
            for name in server_names:
                for workload, (bare, real) in measure(name, server.url, key, args).items():
                    rows.append((name, workload, bare, real))
        finally:
            server.stop()
    print(
        f"\n{os.cpu_count()} cores; {args.workers} workers x {args.threads} threads; "
        f"wrk {args.wrk_threads} thread(s), {args.connections} connections; median of {args.repeat} "
        f"runs of {args.duration} s; {USERS} users, a random one per request\n"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
