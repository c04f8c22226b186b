"""How costs grow with the number of users (issue 8), in one run:

    python -m tests.bench.growth [--steps 10000,100000,1000000] [--events 4] [--items 10000]

Starts a fresh Redis and grows one service's population step by step to each of
`--steps` users, each user with `--events` `seen` events on movies drawn from a catalogue
of `--items` (a few very popular, a long tail: weights 1 / rank^0.8), stored through the
engine's event path and learnt by the learning job's code (engine/learning.py). At each
step it measures, in this process against the same Redis (no HTTP, no concurrent load:
only what the population changes):

- event write latency: one `seen` event by a random existing user on a new movie, as the
  event routes record it (intake.record);
- recommendation latency: `recommend` for a random existing user;
- Redis memory per user (INFO used_memory over the users stored);
- the work behind them: Redis commands per event write (scripts' own commands included),
  and the mean length of an item's neighbour list (what a recommendation reads per item
  of the user's: it fills up to the cap as the service grows, then stays).

It then reports each figure's slope: how much it changes per tenfold growth in users (a
least-squares fit against log10 users). A request path that does not depend on the size of
the service shows a slope near 0%, within the noise of a shared host.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from engine import events, intake, keys, learning, recommend, servers
from engine import redis as engine_redis

SERVICE = "growth"
NOW = 1_763_800_000_000
BATCH = 20_000  # events per engine call while loading
SAMPLES = 2_000  # event writes timed per step
RECOMMEND_SAMPLES = 500


def popular_draw(items: int, seed: int):
    """A function drawing `k` distinct movie ids, popular ones more often."""
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(items)))

    def draw(k: int) -> list[str]:
        picked: set[int] = set()
        while len(picked) < k:
            picked.update(rng.choices(range(items), cum_weights=cumulative, k=k - len(picked)))
        return [str(item) for item in picked]

    return draw


def grow(r, first: int, last: int, per_user: int, draw) -> float:
    """Store users first .. last - 1 with their events and learn them; returns seconds."""
    started = time.perf_counter()
    made = []
    for user in range(first, last):
        for n, item in enumerate(draw(per_user)):
            made.append(events.Event(f"u{user}", "seen", "movie", item, "", NOW - (per_user - n) * 60_000))
        if len(made) >= BATCH:
            recommend.apply(r, SERVICE, made, log=False)
            learning.run(r, SERVICE, seconds=3600)
            made = []
    if made:
        recommend.apply(r, SERVICE, made, log=False)
        learning.run(r, SERVICE, seconds=3600)
    return time.perf_counter() - started


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(r, users: int, items: int, rng: random.Random) -> dict[str, float]:
    """Latencies (ms) of event writes and recommendations for random existing users."""
    writes = []
    before = commands(r)
    for n in range(SAMPLES):
        user = f"u{rng.randrange(users)}"
        made = events.Event(user, "seen", "movie", str(items + n), "", NOW + n)  # new to everyone
        started = time.perf_counter()
        intake.record(r, SERVICE, [made])
        writes.append((time.perf_counter() - started) * 1000)
    per_write = (commands(r) - before - 1) / SAMPLES  # less the INFO itself
    learning.run(r, SERVICE, seconds=3600)
    lengths = [r.zcard(keys.neighbours(SERVICE, "movie", str(rng.randrange(items)))) for _ in range(200)]
    reads = []
    for _ in range(RECOMMEND_SAMPLES):
        user = f"u{rng.randrange(users)}"
        started = time.perf_counter()
        recommend.recommend(r, SERVICE, user, item_type="movie", now_ms=NOW)
        reads.append((time.perf_counter() - started) * 1000)
    return {
        "commands per write": per_write,
        "neighbours per item": statistics.fmean(lengths),
        "write p50": statistics.median(writes),
        "write p99": percentile(writes, 0.99),
        "recommend p50": statistics.median(reads),
        "recommend p99": percentile(reads, 0.99),
    }


def commands(r) -> int:
    """Commands Redis has run (those a script runs included)."""
    return sum(stats["calls"] for stats in r.info("commandstats").values())


def slope(xs: list[float], ys: list[float]) -> float:
    """Change per tenfold growth, relative to the first figure: the least-squares slope of y
    against log10(x), divided by y at the first x."""
    logs = [math.log10(x) for x in xs]
    mean_x, mean_y = statistics.fmean(logs), statistics.fmean(ys)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(logs, ys, strict=True))
    variance = sum((x - mean_x) ** 2 for x in logs)
    return covariance / variance / ys[0] if variance and ys[0] else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", default="10000,100000,1000000", help="user counts measured at")
    parser.add_argument("--events", type=int, default=4, help="seen events per user")
    parser.add_argument("--items", type=int, default=10_000, help="movies in the catalogue")
    args = parser.parse_args(argv)
    steps = sorted(int(n) for n in args.steps.split(","))
    draw = popular_draw(args.items, seed=3)
    rng = random.Random(11)
    rows = []
    with tempfile.TemporaryDirectory() as name:
        server = servers.RedisServer(Path(name) / "redis", port=servers.free_port(), persist=False)
        server.start()
        try:
            r = engine_redis.connect(server.url)
            empty, stored = r.info("memory")["used_memory"], 0
            for users in steps:
                seconds = grow(r, stored, users, args.events, draw)
                print(f"{users:,} users stored and learnt in {seconds:.0f} s", file=sys.stderr, flush=True)
                memory = r.info("memory")["used_memory"] - empty
                figures = timed(r, users, args.items, rng)
                figures["memory per user"] = memory / users
                rows.append((users, figures, memory))
                stored = users
        finally:
            server.stop()
    print(f"{args.events} `seen` events per user on a catalogue of {args.items:,} movies; each step "
          f"times {SAMPLES:,} event writes and {RECOMMEND_SAMPLES} recommendations in one process, "
          "no concurrent load\n")  # fmt: skip
    print("| users | event write p50 | p99 | Redis commands per write | recommend p50 | p99 "
          "| neighbours per item | Redis memory | per user |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for users, figures, memory in rows:
        print(
            f"| {users:,} | {figures['write p50']:.2f} ms | {figures['write p99']:.2f} ms | "
            f"{figures['commands per write']:.1f} | "
            f"{figures['recommend p50']:.2f} ms | {figures['recommend p99']:.2f} ms | "
            f"{figures['neighbours per item']:.0f} | "
            f"{memory / 2**20:,.0f} MiB | {figures['memory per user']:,.0f} B |"
        )
    counts = [users for users, _, _ in rows]
    print("\n| figure | change per tenfold users (least-squares slope) |\n|---|---:|")
    for figure in ("write p50", "write p99", "commands per write", "recommend p50", "recommend p99",
                   "neighbours per item", "memory per user"):  # fmt: skip
        change = slope(counts, [figures[figure] for _, figures, _ in rows])
        print(f"| {figure} | {change:+.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
