"""Section list figures, in one run, on a synthetic catalogue:

    python -m tests.bench.sections [--duration 5] [--runs 3]

A catalogue of 2,000 movies (each with 2 of 20 categories and 3 of 500 actors), 300
background viewers with 50 `seen` events each (so items have neighbours), 12 section
definitions of every type (one pinned), and 20 users with 500 events each (200 seen, 150
rated, 50 watchlist, 50 progress, 50 hide). Then, with wrk, against a bare Flask handler
answering a constant (same WSGI server and workers): `GET sectionlist/user/<uid>/` and
`GET section/<id>/` (a BecauseYouWatched instance of one of those users): p50, p99 and
their ratios.
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

from engine import catalog, events, intake, learning, notifications, section_lists, sections, servers, tenants
from engine import redis as engine_redis
from tests.bench.bookmarks import runs, serve_app
from tests.bench.profiles import print_against_bare, stop

NOW = int(time.time() * 1000)
MOVIES, CATEGORIES, ACTORS = 2000, 20, 500
BACKGROUND, BACKGROUND_EVENTS = 300, 50
USERS = 20
#: A bench user's 500 events: the first 200 seen, 150 rated, 50 watchlist, 50 progress, 50 hide.
MIX = (("seen", ""), ("rated", ""), ("watchlist", ""), ("progress", "30"), ("hide", ""))
DEFINITIONS = [
    {"type": "URL", "weight": -1, "url": "/api/1/k/popular/movie/", "name": "Trending now"},
    {"type": "BecauseYouWatched", "weight": 40, "count": 3, "name": "Because you watched {0}"},
    {"type": "Category", "weight": 30, "count": 3, "name": "More {0}"},
    {"type": "BecauseYouActor", "weight": 20, "count": 2, "name": "Starring {0}"},
    {"type": "Watchlist", "weight": 35, "name": "Your list"},
    {"type": "CurrentlyWatching", "weight": 45, "name": "Continue watching"},
    {"type": "URL", "weight": 50, "url": "https://example.com/picks/{0}", "name": "Editor's picks"},
    {"type": "URL", "weight": 10, "url": "/api/1/k/recommend/{0}/", "name": "For you"},
    {"type": "URL", "weight": 5, "url": "https://example.com/new", "name": "New arrivals"},
    {"type": "URL", "weight": 4, "url": "https://example.com/sport", "name": "Sport"},
    {"type": "URL", "weight": 3, "url": "https://example.com/kids", "name": "Kids"},
    {"type": "URL", "weight": 2, "url": "https://example.com/free", "name": "Free to watch"},
]


def load(r, service: str) -> None:
    draw = random.Random(11)
    items = [
        catalog.validate("movie", str(n), {
            "name": f"Movie {n}", "duration": 120,
            "categories": [f"Category {c}" for c in draw.sample(range(CATEGORIES), 2)],
            "cast": [f"Actor {a}" for a in draw.sample(range(ACTORS), 3)],
        })
        for n in range(MOVIES)
    ]  # fmt: skip
    notifications.put_items(r, service, items, now_ms=NOW)
    for definition in DEFINITIONS:
        sections.create(r, service, definition)
    popular = list(range(MOVIES // 4))  # background viewers favour a quarter of the catalogue
    for viewer in range(BACKGROUND):
        at = NOW - 30 * 86_400_000
        picked = draw.sample(popular, BACKGROUND_EVENTS)
        made = [events.Event(f"b{viewer}", "seen", "movie", str(m), "", at + n) for n, m in enumerate(picked)]
        assert not intake.record(r, service, made, log_max=1000)
    for user in range(USERS):
        picked = draw.sample(range(MOVIES), 500)
        made = []
        for n, movie in enumerate(picked):
            at = NOW - (500 - n) * 3_600_000
            kind = next(k for k, upto in enumerate((200, 350, 400, 450, 500)) if n < upto)
            event, value = MIX[kind]
            if event == "rated":
                value = str(draw.randint(1, 5))
            made.append(events.Event(f"u{user}", event, "movie", str(movie), value, at))
        assert not intake.record(r, service, made, log_max=1000)
    learning.run(r, service, seconds=3600)  # what the learning job does meanwhile


def list_script(path: str) -> str:
    return (
        f'request = function() return wrk.format("GET", "{path}/sectionlist/user/u" .. '
        f'math.random(0, {USERS - 1}) .. "/") end'
    )


def section_script(path: str, instance_ids: list[str]) -> str:
    table = ", ".join(f'"{i}"' for i in instance_ids)
    return (
        f"ids = {{{table}}}\n"
        f'request = function() return wrk.format("GET", "{path}/section/" .. '
        f'ids[math.random(1, #ids)] .. "/") end'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
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
            started = time.perf_counter()
            load(r, "bench")
            print(f"loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            shown = [section_lists.section_list(r, "bench", f"u{u}", now_ms=NOW) for u in range(USERS)]
            counts = sorted(len(s) for s in shown)
            because = [s.id for user in shown for s in user if s.definition.type == "BecauseYouWatched"]
            figures = {}
            for app in ("tests.bench.baseline:app", "api.wsgi:app"):
                process, port = serve_app(app, server.url, args)
                try:
                    if app.startswith("tests"):
                        base, path = f"http://127.0.0.1:{port}/api/1/k", "/api/1/k"
                        figures["bare"] = runs(base, args, list_script(path))
                        continue
                    base, path = f"http://127.0.0.1:{port}/api/1/{key}", f"/api/1/{key}"
                    figures["list"] = runs(base, args, list_script(path))
                    figures["section"] = runs(base, args, section_script(path, because))
                finally:
                    stop(process)
        finally:
            server.stop()
    print(
        f"\n{os.cpu_count()} cores; {MOVIES:,} movies, {len(DEFINITIONS)} section definitions, "
        f"users with 500 events shown {counts[0]}-{counts[-1]} sections\n"
    )
    print_against_bare(
        figures["bare"],
        [
            ("GET sectionlist/user/<uid>/, 12 definitions, users with 500 events", figures["list"]),
            ("GET section/<id>/ (BecauseYouWatched)", figures["section"]),
        ],
    )
    errors = sum(result.errors for result in figures.values())
    if errors:
        print(f"\n{errors} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
