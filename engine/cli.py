"""`tanktop`: run the service, and manage services' API keys.

    tanktop run                                     API + worker (+ embedded Redis)
    tanktop web                                     the API alone (the Procfile's web)
    tanktop keys create --service NAME --plan free|commercial [--rate R] [--burst B]
    tanktop keys list [--json]
    tanktop keys revoke KEY_OR_ID
    tanktop keys limit KEY_OR_ID [--rate R] [--burst B]
    tanktop keys webhook-secret --service NAME [--rotate]
    tanktop import events FILE --service NAME [--resume | --from-line N] [--no-log] [--jobs N]
    tanktop import items FILE --service NAME
    tanktop eval movielens --data DIR [--redis-url URL]

Without REDIS_URL the commands use the embedded Redis under TANKTOP_DATA_DIR, starting it
for the duration of the command when `tanktop run` is not running.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from engine import errors, ids, importer, servers, tenants
from engine import redis as engine_redis
from engine.clock import now_ms
from engine.settings import Settings, SettingsError


@contextlib.contextmanager
def open_redis(settings: Settings) -> Iterator:
    """The configured Redis, or the embedded one: the running one (whoever owns it), else
    one started for this command and stopped after it."""
    if settings.redis_url:
        yield engine_redis.connect_settings(settings)
        return
    server = servers.RedisServer(settings.data_dir / "redis")
    if not server.claim() or server.is_running():
        server.release()  # another process's server (or one left running): use, don't stop
        yield engine_redis.connect(server.wait_ready())
        return
    server.start()
    try:
        yield engine_redis.connect(server.url)
    finally:
        server.stop()


def _time(ms: int | None) -> str | None:
    return None if ms is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def _describe(record: tenants.ApiKey) -> dict:
    """A key as `keys list` shows it; rate and burst are None where the defaults apply."""
    burst = record.burst
    if burst is None and record.rate is not None:
        burst = record.limits(0, 0)[1]  # derived from the key's own rate
    return {
        "key_id": record.key_id,
        "service": record.service,
        "plan": record.plan,
        "rate": record.rate,
        "burst": burst,
        "created": _time(record.created_ms),
        "revoked": _time(record.revoked_ms),
    }


def _print_table(records: list[tenants.ApiKey]) -> None:
    columns = ["key_id", "service", "plan", "rate", "burst", "created", "revoked"]
    shown = {"rate": "default", "burst": "default"}  # what an unset value means, per column
    rows = [columns] + [
        [
            str(value) if value is not None else shown.get(column, "-")
            for column, value in _describe(r).items()
        ]
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def keys_command(args: argparse.Namespace, settings: Settings) -> int:
    with open_redis(settings) as r:
        if args.action == "create":
            key, record = tenants.create_key(
                r, args.service, args.plan, rate=args.rate, burst=args.burst, now_ms=now_ms()
            )
            print(key)
            print(
                f"key id {record.key_id}: service {record.service}, plan {record.plan}. "
                "This is the only time the key is shown; it is stored as a hash.",
                file=sys.stderr,
            )
        elif args.action == "list":
            records = tenants.list_keys(r)
            if args.json:
                print(json.dumps([_describe(record) for record in records], indent=2))
            else:
                _print_table(records)
        elif args.action == "revoke":
            record = tenants.revoke_key(r, args.key, now_ms=now_ms())
            print(
                f"revoked key {record.key_id} of service {record.service}; the API refuses it within "
                f"{settings.key_cache_seconds:g} s"
            )
        elif args.action == "limit":
            record = tenants.set_limits(r, args.key, rate=args.rate, burst=args.burst)
            rate, burst = record.limits(settings.rate_limit, settings.rate_burst)
            shown = "unlimited" if rate == 0 else f"{rate:g} requests a second, burst {burst}"
            print(f"key {record.key_id}: {shown}; in effect within {settings.key_cache_seconds:g} s")
        elif args.action == "webhook-secret":
            return _webhook_secret(r, args.service, rotate=args.rotate)
    return 0


def _webhook_secret(r, service: str, *, rotate: bool) -> int:
    """Show the service's webhook secret once: when it is made (or first asked for), and
    each new one a rotation makes."""
    now = now_ms()
    if rotate:
        tenants.rotate_webhook_secret(r, service, now_ms=now)
    found = tenants.reveal_webhook_secret(r, service, now_ms=now)
    if found is None:
        print(
            f"the webhook secret of service {service} was shown when it was made and is not shown again; "
            f"`tanktop keys webhook-secret --service {service} --rotate` makes a new one (the old one "
            "keeps signing for 24 hours)",
            file=sys.stderr,
        )
        return 1
    print(found.current)
    if found.previous:
        print(
            f"webhooks of service {service} carry signatures by this secret and by the one it replaced "
            f"until {_time(found.previous_until_ms)}; switch your receivers to this one before then",
            file=sys.stderr,
        )
    else:
        print(
            f"webhooks of service {service} are signed with this secret (Standard Webhooks)", file=sys.stderr
        )
    return 0


class _Bar:
    """A progress bar on stderr: redrawn in place on a terminal, a line per tenth otherwise."""

    def __init__(self, unit: str = "events"):
        self.unit = unit
        self.started = time.monotonic()
        self.tty = sys.stderr.isatty()
        self.shown_tenth = -1

    def __call__(self, progress: importer.Progress) -> None:
        share = progress.bytes_read / progress.total_bytes if progress.total_bytes else 1.0
        rate = progress.stored / max(time.monotonic() - self.started, 1e-9)
        filled = int(share * 30)
        text = (
            f"[{'#' * filled}{'.' * (30 - filled)}] {share:6.1%}  line {progress.last_line:,}  "
            f"stored {progress.stored:,}  rejected {progress.rejected:,}  {rate:,.0f} {self.unit}/s"
        )
        if self.tty:
            print("\r" + text, end="", file=sys.stderr, flush=True)
        elif int(share * 10) > self.shown_tenth:
            self.shown_tenth = int(share * 10)
            print(text, file=sys.stderr, flush=True)


def _url_of(r, settings: Settings) -> str:
    """The URL the import's worker processes connect to: the one this command uses."""
    if settings.redis_url:
        return settings.redis_url
    return servers.RedisServer(settings.data_dir / "redis").url


def import_command(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise errors.InvalidValue(f"no file {path}")
    ids.service_name(args.service, "service name")
    if args.what == "items":
        return _import_items(path, args.service, settings)
    if args.jobs < 1:
        raise errors.InvalidValue("--jobs must be at least 1")
    bar = _Bar()
    with open_redis(settings) as r:
        start = importer.resume_line(path, args.service) if args.resume else args.from_line
        if start > 1:
            print(f"tanktop: resuming at line {start:,}", file=sys.stderr)
        try:
            done = importer.import_events(
                r,
                args.service,
                path,
                now_ms=now_ms(),
                start_line=start,
                log=not args.no_log,
                log_max=settings.event_log_max,
                jobs=args.jobs,
                redis_url=_url_of(r, settings),
                cluster=settings.redis_cluster,
                on_progress=bar,
            )
        except KeyboardInterrupt:
            last = importer.resume_line(path, args.service) - 1
            print(
                f"\ntanktop: interrupted; lines up to {last:,} are stored. Run the same command with "
                "--resume to go on.",
                file=sys.stderr,
            )
            return 130
    seconds = time.monotonic() - bar.started
    print(
        f"\nimported {done.stored:,} events in {seconds:.1f} s ({done.stored / max(seconds, 1e-9):,.0f}/s); "
        f"{done.rejected:,} lines rejected",
        file=sys.stderr,
    )
    if done.rejected:
        for line in done.first_errors:
            print(f"  {line}", file=sys.stderr)
        print(f"  every rejected line and why: {importer.rejected_path(path)}", file=sys.stderr)
    return 0


def _import_items(path: Path, service: str, settings: Settings) -> int:
    bar = _Bar("items")
    with open_redis(settings) as r:
        done = importer.import_items(r, service, path, now_ms=now_ms(), on_progress=bar)
    seconds = time.monotonic() - bar.started
    print(
        f"\nimported {done.stored:,} items in {seconds:.1f} s; {done.rejected:,} lines rejected. "
        "Notifications they satisfy go out with the workers' next outbox sweep.",
        file=sys.stderr,
    )
    if done.rejected:
        for line in done.first_errors:
            print(f"  {line}", file=sys.stderr)
        print(f"  every rejected line and why: {importer.rejected_path(path)}", file=sys.stderr)
    return 0


def catalog_command(args: argparse.Namespace, settings: Settings) -> int:
    """tanktop catalog reindex --service S."""
    from engine import catalog

    ids.service_name(args.service, "--service")
    with open_redis(settings) as r:
        done = catalog.reindex(r, args.service)
    print(f"indexed the categories and cast of {done:,} items", file=sys.stderr)
    return 0


def eval_command(args: argparse.Namespace) -> int:
    """Recommendation quality on MovieLens 100K, in a Redis of its own (a temporary one
    unless --redis-url names an empty one)."""
    from engine import evaluation

    data = Path(args.data)
    if not (data / "u.data").is_file():
        raise errors.InvalidValue(f"no MovieLens 100K in {data} (u.data is missing)")

    def report(r) -> None:
        found = evaluation.run(r, data, progress=lambda text: print(text, file=sys.stderr, flush=True))
        print(evaluation.table(found))
        memory = r.info("memory")["used_memory"]
        print(
            f"\nreplay: {found.train_events:,} events in {found.replay_seconds:.1f} s "
            f"({found.train_events / found.replay_seconds:,.0f}/s); recommendations for "
            f"{found.engine.users} users in {found.recommend_seconds:.1f} s; "
            f"Redis memory {memory / 2**20:.0f} MiB"
        )

    if args.redis_url:
        r = engine_redis.connect(args.redis_url)
        if r.dbsize():
            raise errors.InvalidValue("the evaluation needs an empty Redis; that one has keys")
        report(r)
        return 0
    with tempfile.TemporaryDirectory(prefix="tanktop-eval-") as directory:
        server = servers.RedisServer(Path(directory), persist=False)
        server.start()
        try:
            report(engine_redis.connect(server.url))
        finally:
            server.stop()
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tanktop", description="Tank Top personalisation engine")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the API and a worker (and an embedded Redis without REDIS_URL)")
    commands.add_parser("web", help="run the API's web server alone (needs REDIS_URL)")

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create an API key (printed once)")
    create.add_argument("--service", required=True, help="service (tenant) name: a-z 0-9 _ -, 1-32")
    create.add_argument("--plan", required=True, choices=tenants.PLANS)
    create.add_argument(
        "--rate", type=float, help="requests a second (0: unlimited; default TANKTOP_RATE_LIMIT)"
    )
    create.add_argument(
        "--burst", type=int, help="bucket size (default: 2 s at --rate, else TANKTOP_RATE_BURST)"
    )
    listing = keys.add_parser("list", help="list keys (ids only; keys are stored as hashes)")
    listing.add_argument("--json", action="store_true")
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key", help="the key or its key id")
    limit = keys.add_parser("limit", help="change a key's rate limit")
    limit.add_argument("key", help="the key or its key id")
    limit.add_argument("--rate", type=float)
    limit.add_argument("--burst", type=int)
    secret = keys.add_parser("webhook-secret", help="show (or rotate) a service's webhook signing secret")
    secret.add_argument("--service", required=True)
    secret.add_argument(
        "--rotate", action="store_true", help="make a new secret; the old one also signs for 24 hours"
    )
    imports = commands.add_parser("import", help="import data").add_subparsers(dest="what", required=True)
    events_import = imports.add_parser("events", help="import an NDJSON file of events")
    events_import.add_argument(
        "file", help='one JSON object a line: {"user_id", "event", "item_type", "item_id", "value"?, "ts"?}'
    )
    events_import.add_argument("--service", required=True, help="the service the events belong to")
    start = events_import.add_mutually_exclusive_group()
    start.add_argument(
        "--resume", action="store_true", help="go on after the last line an interrupted run stored"
    )
    start.add_argument("--from-line", type=int, default=1, help="start at this line (1-based)")
    events_import.add_argument(
        "--no-log", action="store_true", help="leave the analytics log out (a backfill)"
    )
    events_import.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes parsing and storing (default: one per core)",
    )
    items_import = imports.add_parser("items", help="import an NDJSON file of catalogue items")
    items_import.add_argument(
        "file", help="one JSON object a line, as PUT item/ takes, with item_type and item_id"
    )
    items_import.add_argument("--service", required=True, help="the service the items belong to")
    catalog_parser = commands.add_parser("catalog", help="catalogue upkeep").add_subparsers(
        dest="action", required=True
    )
    reindex = catalog_parser.add_parser(
        "reindex", help="index the categories and cast of items stored before section lists (once)"
    )
    reindex.add_argument("--service", required=True, help="the service whose catalogue to index")
    evaluate = commands.add_parser("eval", help="measure recommendation quality").add_subparsers(
        dest="dataset", required=True
    )
    movielens = evaluate.add_parser("movielens", help="MovieLens 100K, the SAR quick-start protocol")
    movielens.add_argument("--data", required=True, help="the ml-100k directory (with u.data)")
    movielens.add_argument("--redis-url", help="an empty Redis to use (default: a temporary one)")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command in ("run", "web"):
            from engine import supervisor

            return supervisor.run(settings) if args.command == "run" else supervisor.web(settings)
        if args.command == "import":
            return import_command(args, settings)
        if args.command == "eval":
            return eval_command(args)
        if args.command == "catalog":
            return catalog_command(args, settings)
        return keys_command(args, settings)
    except (errors.EngineError, SettingsError, servers.ServerError) as error:
        print(f"tanktop: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2
    except errors.UNAVAILABLE as error:
        print(f"tanktop: cannot reach Redis: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
