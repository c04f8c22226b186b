"""Event intake figures, in one run:

    python -m tests.bench.events [--events 1000000] [--users 20000] [--items 5000]

1. CLI import: writes a synthetic NDJSON file (events in time order, users and items drawn
   at random: 60% seen, 20% watchlist, 15% rated, 5% progress), imports it with
   `tanktop import events` into a fresh real Redis, and reports events per second.
2. Memory: Redis bytes per stored event (used_memory before and after, the analytics log
   counted separately from the per-user state).
3. Single-event POST over HTTP against a bare Flask handler that does one Redis write (a
   SET), same WSGI server and workers, with wrk; and Redis round trips per request
   (commands Redis saw, divided by requests).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from engine import redis as engine_redis
from engine import servers, tenants
from tests.bench.profiles import Result, serve, stop, wrk

KINDS = [("seen", 60), ("watchlist", 20), ("rated", 15), ("progress", 5)]


def write_events(path: Path, count: int, users: int, items: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    names = [name for name, share in KINDS for _ in range(share)]
    start = 1_700_000_000
    with open(path, "w") as out:
        for i in range(count):
            event = rng.choice(names)
            line = {
                "user_id": f"u{rng.randrange(users)}",
                "event": event,
                "item_type": "movie",
                "item_id": str(rng.randrange(items)),
                "ts": start + i,
            }
            if event == "rated":
                line["value"] = rng.randint(1, 5)
            elif event == "progress":
                line["value"] = rng.randint(1, 120)
            out.write(json.dumps(line, separators=(",", ":")) + "\n")


def used_memory(r) -> int:
    return int(r.info("memory")["used_memory"])


def import_figures(args, directory: Path) -> dict:
    path = directory / "events.ndjson"
    write_events(path, args.events, args.users, args.items)
    server = servers.RedisServer(directory / "redis", port=servers.free_port(), persist=False)
    server.start()
    try:
        r = engine_redis.connect(server.url)
        before = used_memory(r)
        env = dict(os.environ, REDIS_URL=server.url)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "engine.cli", "import", "events", str(path), "--service", "bench"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode:  # the import's own words, not only its exit status
            raise RuntimeError(f"tanktop import exited {done.returncode}: {done.stderr[-2000:]}")
        seconds = time.monotonic() - started
        total = used_memory(r) - before
        log = int(r.memory_usage("tt:{bench}:log", samples=0) or 0)
        stored = sum(1 for _ in r.scan_iter("tt:{bench:*}:ev:val", count=1000))
    finally:
        server.stop()
    return {
        "events": args.events,
        "seconds": seconds,
        "rate": args.events / seconds,
        "bytes_total": total / args.events,
        "bytes_log": log / args.events,
        "bytes_state": (total - log) / args.events,
        "users": stored,
    }


def post_figures(args, directory: Path) -> tuple[Result, Result, float]:
    server = servers.RedisServer(directory / "redis-post", port=servers.free_port(), persist=False)
    server.start()
    try:
        r = engine_redis.connect(server.url)
        key, _ = tenants.create_key(r, "bench", "commercial", rate=0, now_ms=int(time.time() * 1000))
        results = []
        for app, apikey in (
            ("tests.bench.baseline:app", "k"),
            ("api.wsgi:app", key),
        ):
            port = servers.free_port()
            env = dict(
                os.environ,
                REDIS_URL=server.url,
                TANKTOP_PORT=str(port),
                TANKTOP_WEB_WORKERS=str(args.workers),
                TANKTOP_WEB_THREADS=str(args.threads),
            )
            from engine.settings import Settings

            process = serve(Settings.from_env(env), app, env)
            try:
                base = f"http://127.0.0.1:{port}/api/1/{apikey}"
                script = (
                    f'request = function() return wrk.format("POST", "{urlpath(base)}/event/u" .. '
                    f'math.random(1, 10000) .. "/seen/movie/" .. math.random(1, 5000) .. "/") end'
                )
                wrk(base, "POST", None, args, duration=2, script=script)  # warm up
                r.config_resetstat()
                result = wrk(base, "POST", None, args, script=script)
                stats = r.info("commandstats")
                # Commands sent (what a script runs counts in commandstats too: count these).
                calls = sum(
                    int(stats.get(name, {}).get("calls", 0))
                    for name in ("cmdstat_evalsha", "cmdstat_xadd", "cmdstat_set")
                )
                results.append((result, calls))
            finally:
                stop(process)
        (bare, _), (real, calls) = results
        requests = real.rps * args.duration
        return bare, real, calls / requests
    finally:
        server.stop()


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--only", choices=("import", "post"), help="run one part only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        print(
            f"\n{os.cpu_count()} cores; {args.events:,} events, {args.users:,} users, {args.items:,} items\n"
        )
        print("| figure | value |\n|---|---:|")
        if args.only != "post":
            figures = import_figures(args, directory)
            print(f"| CLI import | {figures['rate']:,.0f} events/s ({figures['seconds']:.1f} s) |")
            print(f"| Redis memory per event, all | {figures['bytes_total']:.0f} bytes |")
            print(f"| of which the analytics log | {figures['bytes_log']:.0f} bytes |")
            print(f"| of which per-user state | {figures['bytes_state']:.0f} bytes |")
        if args.only != "import" and shutil.which("wrk"):
            bare, real, trips = post_figures(args, directory)
            print(
                f"| event POST, bare Flask + 1 Redis SET | {bare.rps:,.0f} req/s, p50 {bare.p50_ms:.2f} ms, "
                f"p99 {bare.p99_ms:.2f} ms |"
            )
            api = f"{real.rps:,.0f} req/s, p50 {real.p50_ms:.2f} ms, p99 {real.p99_ms:.2f} ms"
            print(f"| event POST, API | {api} |")
            print(
                f"| event POST, API / bare | {real.rps / bare.rps:.2f} throughput, "
                f"{real.p99_ms / bare.p99_ms:.2f} p99 |"
            )
            print(f"| commands per event POST (sent together, one round trip) | {trips:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
