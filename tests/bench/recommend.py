"""Recommendation figures, in one run, on MovieLens 100K (never committed; --data DIR,
default ../shared/data/ml-100k):

    python -m tests.bench.recommend [--data DIR] [--duration 5] [--runs 3]

1. Import rate: every MovieLens rating replayed in time order through the engine's event
   path (as `rated` events, 1,000 per call, as `tanktop eval movielens` does), learning
   similarity as it goes, against the same replay into a service whose recommendation
   weights are all 0 (events stored, nothing learnt): events/s and the ratio.
2. Redis memory per item of the similarity data (co-occurrence counts and neighbour
   lists, MEMORY USAGE of every item's keys) at the default cap of K neighbours.
3. `GET recommend/<uid>/` for users with 20, 200 and 2,000 events (on the MovieLens
   movies, half `seen`, half `rated`), against a bare Flask handler answering a constant
   (same WSGI server and workers), with wrk: p50 and p99 and their ratios.
4. Event POST with similarity maintenance (`watchlist` on a random MovieLens movie by a
   random MovieLens user, whose history is in place) against the same POST to a service
   that learns nothing: throughput and p99, and the ratio.
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

from engine import bookmarks, evaluation, events, keys, learning, recommend, servers, tenants, weights
from engine import redis as engine_redis
from tests.bench.bookmarks import runs, serve_app
from tests.bench.mixed import start_learning
from tests.bench.profiles import print_against_bare, print_pair, stop

NOW = int(time.time() * 1000)
DATA = Path(__file__).parents[3] / "shared" / "data" / "ml-100k"
SIZES = (20, 200, 2000)
USERS_PER_SIZE = 20


def replay(r, service: str, rows: list[evaluation.Row]) -> float:
    """Every row through the event path in time order; returns the seconds it took."""
    ordered = sorted(rows, key=lambda row: row[3])
    started = time.perf_counter()
    for first in range(0, len(ordered), evaluation.BATCH):
        made = [
            events.Event(str(user), events.RATING, "movie", str(item), str(rating), ts * 1000)
            for user, item, rating, ts in ordered[first : first + evaluation.BATCH]
        ]
        assert not bookmarks.record(r, service, made, log_max=len(ordered))
        learning.run(r, service, seconds=3600)  # what the learning job does, batch by batch
    return time.perf_counter() - started


def similarity_memory(r, service: str) -> tuple[int, int, int]:
    """(items, bytes of co-occurrence counts, bytes of neighbour lists)."""
    items = list(r.hkeys(keys.item_users(service)))
    pipe = r.pipeline(transaction=False)
    for item in items:
        item_type, item_id = recommend.split(item)
        pipe.execute_command("MEMORY", "USAGE", keys.cooccurrence(service, item_type, item_id), "SAMPLES", 0)
        pipe.execute_command("MEMORY", "USAGE", keys.neighbours(service, item_type, item_id), "SAMPLES", 0)
    sizes = [size or 0 for size in pipe.execute()]
    return len(items), sum(sizes[0::2]), sum(sizes[1::2])


def load_users(r, service: str, movies: list[str]) -> None:
    """USERS_PER_SIZE users of each size: `h<size>-<k>`, events over the last year."""
    draw = random.Random(7)
    for size in SIZES:
        for k in range(USERS_PER_SIZE):
            picked = draw.sample(movies, size // 2)
            made = []
            for n, movie in enumerate(picked):
                at = NOW - (len(picked) - n) * 86_400_000 * 365 // len(picked)
                made.append(events.Event(f"h{size}-{k}", "seen", "movie", movie, "", at))
                made.append(
                    events.Event(f"h{size}-{k}", "rated", "movie", movie, str(draw.randint(1, 5)), at)
                )
            assert not bookmarks.record(r, service, made, log_max=1000)
    learning.run(r, service, seconds=3600)


def get_script(path: str, size: int) -> str:
    return (
        f'request = function() return wrk.format("GET", "{path}/recommend/h{size}-" .. '
        f'math.random(0, {USERS_PER_SIZE - 1}) .. "/") end'
    )


def post_script(path: str, users: int, movies: int) -> str:
    return (
        f'request = function() return wrk.format("POST", "{path}/event/" .. math.random(1, {users}) .. '
        f'"/watchlist/movie/" .. math.random(1, {movies}) .. "/") end'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the ml-100k directory")
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
    if not (args.data / "u.data").is_file():
        print(f"no MovieLens 100K at {args.data} (--data DIR)", file=sys.stderr)
        return 1
    rows = evaluation.read_ratings(args.data)
    users = len({row[0] for row in rows})
    movies = sorted({str(row[1]) for row in rows}, key=int)
    with tempfile.TemporaryDirectory() as name:
        server = servers.RedisServer(Path(name) / "redis", port=servers.free_port(), persist=False)
        server.start()
        try:
            r = engine_redis.connect(server.url)
            key, _ = tenants.create_key(r, "bench", "commercial", rate=0, now_ms=NOW)
            plain_key, _ = tenants.create_key(r, "plain", "commercial", rate=0, now_ms=NOW)
            weights.put(
                r, "plain", {"recommendations": {event: 0 for event in weights.DEFAULTS["recommendations"]}}
            )
            plain_seconds = replay(r, "plain", rows)
            print(f"replay without learning: {len(rows) / plain_seconds:,.0f} events/s", file=sys.stderr)
            learn_seconds = replay(r, "bench", rows)
            print(f"replay with learning: {len(rows) / learn_seconds:,.0f} events/s", file=sys.stderr)
            items, counts, neighbours = similarity_memory(r, "bench")
            cap = int(recommend.config(r, "bench")["neighbours"])
            load_users(r, "bench", movies)
            figures = {}
            for app in ("tests.bench.baseline:app", "api.wsgi:app"):
                process, port = serve_app(app, server.url, args)
                try:
                    if app.startswith("tests"):
                        base, path = f"http://127.0.0.1:{port}/api/1/k", "/api/1/k"
                        figures["bare"] = runs(base, args, get_script(path, SIZES[0]))
                        continue
                    for size in SIZES:
                        base, path = f"http://127.0.0.1:{port}/api/1/{key}", f"/api/1/{key}"
                        figures[size] = runs(base, args, get_script(path, size))
                    helpers = start_learning(server.url, server.url)  # the learning job as it runs
                    try:
                        figures["learning"] = runs(base, args, post_script(path, users, len(movies)))
                    finally:
                        for helper in helpers:
                            stop(helper)
                    plain_base, plain_path = (
                        f"http://127.0.0.1:{port}/api/1/{plain_key}",
                        f"/api/1/{plain_key}",
                    )
                    figures["plain"] = runs(plain_base, args, post_script(plain_path, users, len(movies)))
                finally:
                    stop(process)
        finally:
            server.stop()

    print(
        f"\n{os.cpu_count()} cores; MovieLens 100K: {len(rows):,} ratings, {users} users, "
        f"{len(movies)} movies\n"
    )
    print("| replay through the event path | events/s |\n|---|---:|")
    print(f"| without learning (weights 0) | {len(rows) / plain_seconds:,.0f} |")
    print(f"| with similarity maintenance | {len(rows) / learn_seconds:,.0f} |")
    print(f"| ratio | {plain_seconds / learn_seconds:.2f}x |")
    print(f"\n| similarity data, K = {cap} | per item |\n|---|---:|")
    print(f"| co-occurrence counts ({items} items) | {counts / items / 1024:.1f} KiB |")
    print(f"| neighbour lists | {neighbours / items / 1024:.1f} KiB |")
    print(f"| total | {(counts + neighbours) / items / 1024:.1f} KiB |")
    bare = figures["bare"]
    print()
    print_against_bare(
        bare, [(f"GET recommend/<uid>/, users with {size:,} events", figures[size]) for size in SIZES]
    )
    print_pair(
        "event POST (watchlist)",
        ("without learning", figures["plain"]),
        ("with similarity maintenance", figures["learning"]),
        "with / without",
    )
    errors = sum(result.errors for result in figures.values())
    if errors:
        print(f"\n{errors} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
