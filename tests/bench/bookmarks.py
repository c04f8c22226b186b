"""Bookmark figures, in one run:

    python -m tests.bench.bookmarks [--users 200] [--bookmarks 200] [--duration 10]

1. `GET bookmark/<uid>/` for users with 200 bookmarks each (half movies, half programmes
   with an episode in progress or up next, all in the catalogue), the whole list
   (`limit=200`) and the default page of 50, against a bare Flask handler answering a
   constant (same WSGI server and workers), with wrk: p50 and p99 and their ratios.
2. Event POST with bookmark maintenance (`progress` on catalogue movies) against a plain
   event POST (`watchlist`), through the same API: throughput and p99, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from engine import bookmarks, catalog, events, notifications, servers, tenants
from engine import redis as engine_redis
from engine.settings import Settings
from tests.bench.profiles import Result, median, print_against_bare, print_pair, serve, stop, wrk

NOW = int(time.time() * 1000)


def load(r, users: int, per_user: int) -> None:
    """The catalogue (per_user / 2 movies, per_user / 2 programmes of 10 episodes) and each
    user's bookmarks: every movie part-way, every programme at some episode."""
    half = per_user // 2
    items = [catalog.validate("movie", f"m{i}", {"name": f"Movie {i}", "duration": 100}) for i in range(half)]
    items += [catalog.validate("programme", f"p{i}", {"name": f"Show {i}"}) for i in range(half)]
    items += [
        catalog.validate("episode", f"p{i}e{n}", {"name": f"Ep {n}", "programme_id": f"p{i}", "season": 1,
                                                   "episode": n, "duration": 45})
        for i in range(half)
        for n in range(1, 11)
    ]  # fmt: skip
    for first in range(0, len(items), 1000):
        notifications.put_items(r, "bench", items[first : first + 1000], now_ms=NOW)
    for u in range(users):
        made = []
        for i in range(half):
            at = NOW - 3_600_000 + i * 1000
            made.append(events.make(f"u{u}", "progress", "movie", f"m{i}", str(10 + i % 80), now_ms=at))
            kind = "seen" if i % 2 else "progress"
            value = None if kind == "seen" else "20"
            made.append(events.make(f"u{u}", kind, "episode", f"p{i}e{1 + i % 9}", value, now_ms=at + 500))
        assert not bookmarks.record(r, "bench", made, log_max=1000)


def serve_app(app: str, redis_url: str, args) -> tuple:
    port = servers.free_port()
    env = dict(
        os.environ,
        REDIS_URL=redis_url,
        TANKTOP_PORT=str(port),
        TANKTOP_WEB_WORKERS=str(args.workers),
        TANKTOP_WEB_THREADS=str(args.threads),
    )
    return serve(Settings.from_env(env), app, env), port


def get_script(path: str, users: int, query: str) -> str:
    return (
        f'request = function() return wrk.format("GET", "{path}/bookmark/u" .. '
        f'math.random(0, {users - 1}) .. "/{query}") end'
    )


def post_script(path: str, event: str, value: str) -> str:
    return (
        f'request = function() return wrk.format("POST", "{path}/event/v" .. math.random(1, 10000) .. '
        f'"/{event}/movie/m" .. math.random(0, 99) .. "/{value}") end'
    )


def runs(base: str, args, script: str) -> Result:
    wrk(base, "GET", None, args, duration=2, script=script)  # warm up
    return median([wrk(base, "GET", None, args, script=script) for _ in range(args.runs)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--bookmarks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is needed (Debian: apt install wrk)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as name:
        server = servers.RedisServer(Path(name) / "redis", port=servers.free_port(), persist=False)
        server.start()
        try:
            r = engine_redis.connect(server.url)
            key, _ = tenants.create_key(r, "bench", "commercial", rate=0, now_ms=NOW)
            started = time.monotonic()
            load(r, args.users, args.bookmarks)
            loaded = time.monotonic() - started
            count = r.zcard("tt:{bench:u0}:bookmarks")
            figures = {}
            for app, apikey in (("tests.bench.baseline:app", "k"), ("api.wsgi:app", key)):
                process, port = serve_app(app, server.url, args)
                base = f"http://127.0.0.1:{port}/api/1/{apikey}"
                path = f"/api/1/{apikey}"
                try:
                    if app.startswith("tests"):
                        figures["bare"] = runs(base, args, get_script(path, args.users, ""))
                        continue
                    figures["all"] = runs(base, args, get_script(path, args.users, "?limit=200"))
                    figures["page"] = runs(base, args, get_script(path, args.users, ""))
                    figures["plain"] = runs(base, args, post_script(path, "watchlist", ""))
                    figures["viewing"] = runs(base, args, post_script(path, "progress", "30/"))
                finally:
                    stop(process)
        finally:
            server.stop()
    bare = figures["bare"]
    print(
        f"\n{os.cpu_count()} cores; {args.users} users with {count} bookmarks each "
        f"(loaded in {loaded:.1f} s)\n"
    )
    print_against_bare(
        bare,
        [
            (f"GET bookmark/<uid>/?limit=200 ({count} entries)", figures["all"]),
            ("GET bookmark/<uid>/ (default page: 50)", figures["page"]),
        ],
    )
    print_pair(
        "event POST",
        ("watchlist (no bookmark)", figures["plain"]),
        ("progress (with its bookmark)", figures["viewing"]),
        "progress / watchlist",
    )
    errors = sum(result.errors for result in figures.values())
    if errors:
        print(f"\n{errors} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
