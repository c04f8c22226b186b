"""Notification figures, in one run:

    python -m tests.bench.notifications [--requests 10000] [--matching 1000] [--workers 1 2 4]

1. Fan-out: an item with 10,000 open requests, of which 1,000 match its new availability
   (the others ask for a lower price or another source). From the catalogue PUT (through
   the API, which hands the deliveries to RQ) until a loopback receiver has all 1,000
   webhooks (distinct webhook-ids), with 1, 2 and 4 worker processes (`python -m
   workers`). Yardstick, measured in the same run: the same 1,000 signed POSTs sent one
   after another from one process, with no Redis and no queue.
2. An availability update for an item that nobody asked about: Redis round trips per
   update (counted at the connection), and its time against one bare round trip (a SET).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from rq import Worker

from api import create_app
from engine import catalog, notifications, servers, tenants, webhooks
from engine import redis as engine_redis
from engine.settings import Settings
from tests.conftest import Api
from tests.receiver import Receiver
from workers import queues

SERVICE = "bench"
MATCHING_PRICE = 300


def seed_requests(r, item_id: str, hook: Receiver, total: int, matching: int) -> None:
    """`total` requests on the item, `matching` of them satisfied by one offer on source 7
    at MATCHING_PRICE: the rest want it cheaper, or on another source."""
    for n in range(total):
        if n < matching:
            wanted = notifications.Request(hook.url, (), None, False)
        elif n % 2:
            wanted = notifications.Request(hook.url, (), MATCHING_PRICE - 1, False)
        else:
            wanted = notifications.Request(hook.url, ("8",), None, False)
        notifications.save(r, SERVICE, f"u{n}", "movie", item_id, wanted, now_ms=1_763_800_000_000 + n)


def start_workers(count: int, env: dict, rq: redis.Redis) -> list[subprocess.Popen]:
    processes = [
        subprocess.Popen([sys.executable, "-m", "workers"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(count)
    ]  # fmt: skip
    deadline = time.monotonic() + 30
    while Worker.count(connection=rq) < count:
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not start")
        time.sleep(0.1)
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(30)


def fan_out(api: Api, hook: Receiver, item_id: str, matching: int) -> float:
    hook.requests.clear()
    started = time.monotonic()
    response = api.put(
        f"item/movie/{item_id}/", json={"availability": [{"source_id": 7, "price": MATCHING_PRICE}]}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    hook.wait_for(matching, timeout=600)
    seconds = time.monotonic() - started
    assert len({got.headers["webhook-id"] for got in hook.requests}) == matching
    return seconds


def bare_posts(hook: Receiver, count: int) -> float:
    """The yardstick: `count` signed POSTs of a webhook's size, one after another."""
    body = b"user_id=u1&item_type=movie&item_id=m1&source_id=7&price=300&hd=false"
    secret = webhooks.new_secret()
    started = time.monotonic()
    for n in range(count):
        headers = {"webhook-id": f"msg_{n}", "webhook-timestamp": "1",
                   "webhook-signature": webhooks.sign(secret, f"msg_{n}", 1, body)}  # fmt: skip
        webhooks.post(hook.url, body, headers, timeout=10, allow_private=True)
    seconds = time.monotonic() - started
    hook.requests.clear()
    return seconds


class CountingConnection(redis.Connection):
    """Counts what is written to Redis: one send per round trip (a pipeline is one)."""

    sends = 0

    def send_packed_command(self, command, check_health=True):
        CountingConnection.sends += 1
        return super().send_packed_command(command, check_health)


def lone_update(url: str, updates: int = 2000) -> tuple[float, float, float]:
    """(round trips per update, µs per update, µs per bare SET round trip)."""
    pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection, decode_responses=True)
    r = redis.Redis(connection_pool=pool)
    items = [
        catalog.validate("movie", f"lone{n}", {"availability": [{"source_id": 7, "price": 100 + n % 5}]})
        for n in range(updates)
    ]
    notifications.put_items(r, SERVICE, items[:1], now_ms=1)  # scripts loaded
    CountingConnection.sends = 0
    started = time.perf_counter()
    for item in items:
        notifications.put_items(r, SERVICE, [item], now_ms=2)
    update_us = (time.perf_counter() - started) / updates * 1e6
    trips = CountingConnection.sends / updates
    started = time.perf_counter()
    for n in range(updates):
        r.set(f"baseline:{n}", "1")
    set_us = (time.perf_counter() - started) / updates * 1e6
    return trips, update_us, set_us


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--matching", type=int, default=1_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory, Receiver() as hook:
        server = servers.RedisServer(Path(directory) / "redis", port=servers.free_port(), persist=False)
        server.start()
        try:
            env = dict(os.environ, REDIS_URL=server.url, TANKTOP_WEBHOOK_ALLOW_PRIVATE="1")
            r = engine_redis.connect(server.url)
            rq = queues.connection(Settings(redis_url=server.url))
            key, _ = tenants.create_key(r, SERVICE, "commercial", rate=0, now_ms=1)
            settings = Settings(redis_url=server.url, webhook_allow_private=True)
            api = Api(create_app(settings, redis=r).test_client(), key)
            baseline = statistics.median(bare_posts(hook, args.matching) for _ in range(3))
            rows = []
            for count in args.workers:
                item_id = f"fan{count}"
                seed_requests(r, item_id, hook, args.requests, args.matching)
                processes = start_workers(count, env, rq)
                try:
                    seconds = fan_out(api, hook, item_id, args.matching)
                finally:
                    stop_workers(processes)
                rows.append((count, seconds))
            trips, update_us, set_us = lone_update(server.url)
        finally:
            server.stop()
    print(
        f"\n{args.requests:,} open requests on one item, {args.matching:,} matching; {os.cpu_count()} cores\n"
    )
    print("| figure | value |\n|---|---:|")
    print(f"| {args.matching:,} bare signed POSTs, one after another (yardstick) | {baseline:.2f} s |")
    for count, seconds in rows:
        print(
            f"| PUT to all {args.matching:,} webhooks received, {count} worker{'s' * (count > 1)} | "
            f"{seconds:.2f} s ({args.matching / seconds:,.0f}/s; {seconds / baseline:.2f}x the yardstick) |"
        )
    print(f"| update of an item nobody asked about: Redis round trips | {trips:.2f} |")
    ratio = update_us / set_us
    print(f"| its time, against one bare SET | {update_us:.0f} µs vs {set_us:.0f} µs ({ratio:.2f}x) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
