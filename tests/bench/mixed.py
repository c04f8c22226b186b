"""The mixed workload, in one run (issue 8):

    python -m tests.bench.mixed [--duration 5] [--loads 4,16,64] [--workers 1,2,4]

80% event writes (`seen` on a random movie by a random user), 15% list and bookmark reads
(a user's `seen` list, 20 at a time; their continue-watching list), 5% recommendation and
section list reads, with wrk at increasing load (connections), against a bare Flask app
answering the same routes with a constant (or, for the event POST, one SET) under the
same WSGI server and process count, measured in the same run. On a standalone Redis with
1, 2 and 4 web processes, then on a local 3-master Redis Cluster. Before the load: 1,000
users with 40 events each over 2,000 movies, 12 section definitions; Redis memory per
user and per item is reported from INFO memory.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from engine import catalog, events, intake, notifications, sections, servers, tenants
from engine import redis as engine_redis
from tests.bench.bookmarks import serve_app
from tests.bench.profiles import median, stop, wrk
from tests.bench.sections import DEFINITIONS

NOW = int(time.time() * 1000)
USERS, EVENTS, MOVIES = 1000, 40, 2000


def load_catalogue(r) -> None:
    items = [
        catalog.validate("movie", str(n), {"name": f"Movie {n}", "duration": 100,
                                           "categories": [f"Category {n % 20}"]})
        for n in range(1, MOVIES + 1)
    ]  # fmt: skip
    notifications.put_items(r, "bench", items, now_ms=NOW)
    for definition in DEFINITIONS:
        sections.create(r, "bench", definition)


def load_users(r) -> None:
    draw = random.Random(5)
    for user in range(1, USERS + 1):
        made = []
        for n, movie in enumerate(draw.sample(range(1, MOVIES // 2), EVENTS)):  # a popular half
            event, value = ("progress", "30") if n % 10 == 0 else ("seen", "")
            made.append(
                events.Event(f"u{user}", event, "movie", str(movie), value, NOW - (EVENTS - n) * 60_000)
            )
        assert not intake.record(r, "bench", made, log_max=100_000)


def script(path: str) -> str:
    return f"""
request = function()
  local pick, user = math.random(100), math.random(1, {USERS})
  if pick <= 80 then
    return wrk.format("POST", "{path}/event/u" .. user .. "/seen/movie/" .. math.random(1, {MOVIES}) .. "/")
  elseif pick <= 88 then
    return wrk.format("GET", "{path}/event/u" .. user .. "/seen/movie/?limit=20")
  elseif pick <= 95 then
    return wrk.format("GET", "{path}/bookmark/u" .. user .. "/")
  elseif pick <= 98 then
    return wrk.format("GET", "{path}/recommend/u" .. user .. "/")
  end
  return wrk.format("GET", "{path}/sectionlist/user/u" .. user .. "/")
end
"""


def memory(r) -> int:
    if isinstance(r, engine_redis.RedisCluster):
        return sum(info["used_memory"] for info in r.info("memory", target_nodes=r.PRIMARIES).values())
    return r.info("memory")["used_memory"]


def measure(redis_url: str, key: str, workers: int, loads: list[int], args) -> dict:
    """{(app, connections): Result} for the bare app and the engine, `workers` processes."""
    found = {}
    for app in ("tests.bench.baseline:app", "api.wsgi:app"):
        options = SimpleNamespace(workers=workers, threads=args.threads)
        process, port = serve_app(app, redis_url, options)
        try:
            path = f"/api/1/{key if app.startswith('api') else 'k'}"
            base = f"http://127.0.0.1:{port}{path}"
            wrk(
                base,
                "GET",
                None,
                SimpleNamespace(wrk_threads=1, connections=4, duration=2),
                script=script(path),
            )
            for connections in loads:
                load_args = SimpleNamespace(wrk_threads=args.wrk_threads, connections=connections,
                                            duration=args.duration)  # fmt: skip
                runs = [wrk(base, "GET", None, load_args, script=script(path)) for _ in range(args.runs)]
                found[app, connections] = median(runs)
        finally:
            stop(process)
    return found


def table(title: str, found: dict, loads: list[int]) -> None:
    print(f"\n{title}\n")
    print("| connections | bare req/s | req/s | ratio | bare p50 | p50 | ratio | bare p99 | p99 | ratio "
          "| errors |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for connections in loads:
        bare, engine = found["tests.bench.baseline:app", connections], found["api.wsgi:app", connections]
        print(
            f"| {connections} | {bare.rps:,.0f} | {engine.rps:,.0f} | {engine.rps / bare.rps:.2f}x | "
            f"{bare.p50_ms:.2f} ms | {engine.p50_ms:.2f} ms | {engine.p50_ms / bare.p50_ms:.1f}x | "
            f"{bare.p99_ms:.2f} ms | {engine.p99_ms:.2f} ms | {engine.p99_ms / bare.p99_ms:.1f}x | "
            f"{engine.errors} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="1,2,4", help="web process counts on standalone Redis")
    parser.add_argument("--cluster-workers", type=int, default=2, help="web processes on the cluster")
    parser.add_argument("--loads", default="4,16,64", help="wrk connections, one figure each")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1, help="runs per figure; the median is shown")
    parser.add_argument("--no-cluster", action="store_true")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is needed (Debian: apt install wrk)", file=sys.stderr)
        return 1
    loads = [int(n) for n in args.loads.split(",")]
    process_counts = [int(n) for n in args.workers.split(",")]
    results, notes = [], []
    with tempfile.TemporaryDirectory() as name:
        setups = [("standalone Redis", None)] + ([] if args.no_cluster else [("3-master Redis Cluster", "c")])
        for label, kind in setups:
            if kind is None:
                server = servers.RedisServer(Path(name) / "redis", port=servers.free_port(), persist=False)
            else:
                server = servers.LocalCluster(Path(name) / "cluster")
            server.start()
            try:
                r = engine_redis.connect(server.url)
                key, _ = tenants.create_key(r, "bench", "commercial", rate=0, now_ms=NOW)
                empty = memory(r)
                load_catalogue(r)
                catalogued = memory(r)
                started = time.perf_counter()
                load_users(r)
                seconds, loaded = time.perf_counter() - started, memory(r)
                notes.append(
                    f"{label}: {USERS:,} users x {EVENTS} events loaded in {seconds:.0f} s; Redis memory "
                    f"{(catalogued - empty) / MOVIES / 1024:.2f} KiB per catalogue item, "
                    f"{(loaded - catalogued) / USERS / 1024:.1f} KiB per user (their lists, bookmarks "
                    "and history, and the similarity and popularity their events made)"
                )
                for workers in process_counts if kind is None else [args.cluster_workers]:
                    found = measure(server.url, key, workers, loads, args)
                    results.append((f"{label}, {workers} web process{'es' if workers > 1 else ''}", found))
            finally:
                server.stop()
    print(f"\n{os.cpu_count()} cores; mixed workload: 80% event POST, 8% list read, 7% bookmark read, "
          f"3% recommend, 2% section list; {args.threads} threads per web process")  # fmt: skip
    for note in notes:
        print(f"- {note}")
    for title, found in results:
        table(title, found, loads)
    return 1 if any(result.errors for _, found in results for result in found.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
