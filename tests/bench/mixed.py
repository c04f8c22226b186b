"""The mixed workload, in one run (issue 8):

    python -m tests.bench.mixed [--duration 10] [--loads 4,16,64] [--rates 500,1000,1500]
                                [--workers 1,2,4]

80% event writes (the viewing mix: mostly progress heartbeats; the teaching mix: `seen` on
a random movie, each teaching similarity; MIX_NOTES), 15% list and bookmark reads
(a user's `seen` list, 20 at a time; their continue-watching list), 5% recommendation and
section list reads, with wrk at increasing load (connections, then fixed request rates
held by wrk's `delay` hook), against a bare Flask app
answering the same routes with a constant (or, for the event POST, one SET) under the
same WSGI server and process count, measured in the same run; every process writes its
metrics to a PROMETHEUS_MULTIPROC_DIR, as under `tanktop run`. Each figure is the median of
3 runs (--runs, --rate-runs): the first 10 s after a start run slower than the next, and
one run's tail varies 2-3x on a shared host. On the embedded Redis as `tanktop run` starts
it (a unix socket, AOF fsynced every second) with 1, 2 and 4 web processes; then, with
--cluster-workers processes, on a standalone Redis over TCP (as a REDIS_URL names one)
and on a local 3-master Redis Cluster over TCP, the cluster's like-for-like comparison.
Before the load: 1,000
users with 40 events each over 2,000 movies, 12 section definitions; Redis memory per
user and per item is reported from INFO memory. The engine runs with a worker and a clock,
as `tanktop run` starts them, so similarity is learnt during the load (engine/learning.py);
after each load the table says how many users' learning was still pending and how long the
worker took to catch up.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from engine import catalog, events, intake, learning, notifications, sections, servers, tenants
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
    learning.run(r, "bench", seconds=600)  # what a worker would have learnt meanwhile


#: wrk at a fixed rate (wrk's `delay` hook; LuaJIT's FFI for a millisecond clock): each
#: request of a thread takes the next slot of its schedule, so the rate holds whatever the
#: latency while connections are free. RATE_MS is the interval between a thread's requests.
PACED = """
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } tt_timespec;
           int clock_gettime(int clock, tt_timespec *ts); ]]
local clock = ffi.new("tt_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end
local next_at = nil
delay = function()
  local now = now_ms()
  if next_at == nil or next_at < now - 1000 then next_at = now end
  next_at = next_at + RATE_MS
  return math.max(0, math.floor(next_at - now))
end
"""


#: The event writes (80% of requests) of each mix, as Lua returning the path's tail after
#: "/event/u<user>/". "viewing": what a TV app sends most, a player's progress heartbeats
#: on one of the user's three films in progress (teaching only the first time), then
#: browsing (`detail`, which teaches nothing) and new `seen`, `watchlist` and `rated` items
#: (each teaching: the user's first positive event on the item). "teaching": every write
#: is `seen` on a random film, nearly always new to the user: the most learning per event.
EVENT_WRITES = {
    "viewing": f"""
    local kind = math.random(80)
    if kind <= 48 then
      local film = (user * 37 + math.random(0, 2) * 101) % {MOVIES} + 1
      return "/progress/movie/" .. film .. "/" .. math.random(1, 99) .. "/"
    elseif kind <= 60 then
      return "/detail/movie/" .. math.random(1, {MOVIES}) .. "/"
    elseif kind <= 70 then
      return "/seen/movie/" .. math.random(1, {MOVIES}) .. "/"
    elseif kind <= 76 then
      return "/watchlist/movie/" .. math.random(1, {MOVIES}) .. "/"
    end
    return "/rated/movie/" .. math.random(1, {MOVIES}) .. "/" .. math.random(1, 5) .. "/"
""",
    "teaching": f"""
    return "/seen/movie/" .. math.random(1, {MOVIES}) .. "/"
""",
}
MIX_NOTES = {
    "viewing": "event writes: 48% progress heartbeats on one of the user's 3 films in progress, "
    "12% detail, 10% seen, 6% watchlist, 4% rated, on random films",
    "teaching": "event writes: 80% seen on a random film (nearly all new to the user: each teaches)",
}


def script(path: str, rate: int = 0, threads: int = 1, mix: str = "viewing") -> str:
    paced = PACED.replace("RATE_MS", repr(1000 * threads / rate)) if rate else ""
    return (
        paced
        + f"""
local function event_tail(user)
{EVENT_WRITES[mix]}
end

request = function()
  local pick, user = math.random(100), math.random(1, {USERS})
  if pick <= 80 then
    return wrk.format("POST", "{path}/event/u" .. user .. event_tail(user))
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
    )


def memory(r) -> int:
    if isinstance(r, engine_redis.RedisCluster):
        return sum(info["used_memory"] for info in r.info("memory", target_nodes=r.PRIMARIES).values())
    return r.info("memory")["used_memory"]


class Load(NamedTuple):
    connections: int
    rate: int = 0  # requests/s held by wrk's schedule; 0: as fast as the connections go

    @property
    def label(self) -> str:
        if self.rate:
            return f"{self.rate:,}/s paced ({self.connections} conn)"
        return f"{self.connections} conn"


def start_learning(redis_url: str, rq_url: str) -> list[subprocess.Popen]:
    """A worker and a clock, as `tanktop run` starts them: the learning job every second."""
    env = dict(os.environ, REDIS_URL=redis_url, RQ_REDIS_URL=rq_url)
    return [
        subprocess.Popen([sys.executable, "-m", module], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        for module in ("workers", "workers.clock")
    ]  # fmt: skip


def catch_up(r) -> tuple[int, float]:
    """(users with learning pending now, seconds until none are)."""
    waiting, started = learning.backlog(r, "bench"), time.monotonic()
    while learning.backlog(r, "bench") and time.monotonic() - started < 120:
        time.sleep(0.1)
    return waiting, time.monotonic() - started


def measure(
    r, redis_url: str, rq_url: str, key: str, workers: int, loads: list[Load], args, mix: str
) -> dict:
    """{(app, load): Result} for the bare app and the engine (with its learning worker and
    clock running, and how far learning was behind after each load), `workers` processes."""
    found = {}
    for app in ("tests.bench.baseline:app", "api.wsgi:app"):
        options = SimpleNamespace(workers=workers, threads=args.threads)
        metrics = tempfile.TemporaryDirectory()  # every process's metrics, as under `tanktop run`
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics.name
        try:
            process, port = serve_app(app, redis_url, options)
            helpers = start_learning(redis_url, rq_url) if app.startswith("api") and args.learning else []
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        try:
            path = f"/api/1/{key if app.startswith('api') else 'k'}"
            base = f"http://127.0.0.1:{port}{path}"
            wrk(
                base,
                "GET",
                None,
                SimpleNamespace(wrk_threads=1, connections=4, duration=5),  # warm: caches, scripts
                script=script(path, mix=mix),
            )
            for load in loads:
                load_args = SimpleNamespace(wrk_threads=args.wrk_threads, connections=load.connections,
                                            duration=args.duration)  # fmt: skip
                paced = script(path, load.rate, args.wrk_threads, mix)
                runs = []
                for _ in range(args.rate_runs if load.rate else args.runs):
                    runs.append(wrk(base, "GET", None, load_args, script=paced))
                    lag = catch_up(r) if helpers else (0, 0.0)
                found[app, load] = median(runs)
                if helpers:
                    found["lag", load] = lag
        finally:
            stop(process)
            for helper in helpers:
                stop(helper)
            metrics.cleanup()
    return found


def table(title: str, found: dict, loads: list[Load]) -> None:
    print(f"\n{title}\n")
    print("| load | bare req/s | req/s | ratio | bare p50 | p50 | ratio | bare p99 | p99 | ratio "
          "| errors | learning behind at the end |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for load in loads:
        bare, engine = found["tests.bench.baseline:app", load], found["api.wsgi:app", load]
        waiting, seconds = found.get(("lag", load), (0, 0.0))
        print(
            f"| {load.label} | {bare.rps:,.0f} | {engine.rps:,.0f} | {engine.rps / bare.rps:.2f}x | "
            f"{bare.p50_ms:.2f} ms | {engine.p50_ms:.2f} ms | {engine.p50_ms / bare.p50_ms:.1f}x | "
            f"{bare.p99_ms:.2f} ms | {engine.p99_ms:.2f} ms | {engine.p99_ms / bare.p99_ms:.1f}x | "
            f"{engine.errors} | {waiting:,} users, caught up in {seconds:.1f} s |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", default="1,2,4", help="web process counts on the embedded Redis")
    parser.add_argument("--cluster-workers", type=int, default=2, help="web processes on the cluster")
    parser.add_argument("--loads", default="4,16,64", help="wrk connections, one figure each")
    parser.add_argument("--rates", default="500,1000,1500", help="fixed request rates, one figure each")
    parser.add_argument("--rate-connections", type=int, default=100, help="connections of a fixed rate")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown")
    parser.add_argument("--rate-runs", type=int, default=3,
                        help="runs per fixed-rate figure (tails vary most on a shared host)")  # fmt: skip
    parser.add_argument("--no-cluster", action="store_true")
    parser.add_argument("--teaching-workers", type=int, default=2,
                        help="web processes of the teaching mix's run (0: none)")  # fmt: skip
    parser.add_argument("--no-learning", dest="learning", action="store_false",
                        help="no worker during the load: the request path alone")  # fmt: skip
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is needed (Debian: apt install wrk)", file=sys.stderr)
        return 1
    loads = [Load(int(n)) for n in args.loads.split(",") if n] + [
        Load(args.rate_connections, int(n)) for n in args.rates.split(",") if n
    ]
    process_counts = [int(n) for n in args.workers.split(",")]
    results, notes = [], []
    with tempfile.TemporaryDirectory() as name:
        setups = [("embedded Redis", "embedded")]
        if not args.no_cluster:
            setups += [("standalone Redis over TCP", "tcp"), ("3-master Redis Cluster", "cluster")]
        for label, kind in setups:
            if kind == "embedded":  # as `tanktop run` starts it
                server = servers.RedisServer(Path(name) / "redis")
            elif kind == "tcp":
                server = servers.RedisServer(Path(name) / "tcp", port=servers.free_port(), persist=False)
            else:
                server = servers.LocalCluster(Path(name) / "cluster")
            server.start()
            # RQ runs on a standalone Redis (RQ_REDIS_URL): its own beside a cluster
            rq = server
            if kind == "cluster":
                rq = servers.RedisServer(Path(name) / "rq", port=servers.free_port(), persist=False)
            if rq is not server:
                rq.start()
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
                counts = process_counts if kind == "embedded" else [args.cluster_workers]
                runs = [(n, "viewing") for n in counts]
                if kind == "embedded" and args.teaching_workers:
                    runs.append((args.teaching_workers, "teaching"))
                for workers, mix in runs:
                    found = measure(r, server.url, rq.url, key, workers, loads, args, mix)
                    title = f"{label}, {workers} web process{'es' if workers > 1 else ''}, {mix} mix"
                    results.append((title, found))
            finally:
                server.stop()
                if rq is not server:
                    rq.stop()
    print(f"\n{os.cpu_count()} cores; mixed workload: 80% event POST, 8% list read, 7% bookmark read, "
          f"3% recommend, 2% section list; {args.threads} threads per web process")  # fmt: skip
    for mix, note in MIX_NOTES.items():
        print(f"- {mix} mix: {note}")
    for note in notes:
        print(f"- {note}")
    for title, found in results:
        table(title, found, loads)
    failed = any(result.errors for _, found in results for key, result in found.items() if key[0] != "lag")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
