"""`tanktop`: run the service, and manage services' API keys.

    tanktop run                                     API + worker (+ embedded Redis)
    tanktop web                                     the API alone (the Procfile's web)
    tanktop keys create --service NAME --plan free|commercial [--rate R] [--burst B]
    tanktop keys list [--json]
    tanktop keys revoke KEY_OR_ID
    tanktop keys limit KEY_OR_ID [--rate R] [--burst B]

Without REDIS_URL the commands use the embedded Redis under TANKTOP_DATA_DIR, starting it
for the duration of the command when `tanktop run` is not running.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator

from engine import errors, servers, tenants
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
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command in ("run", "web"):
            from engine import supervisor

            return supervisor.run(settings) if args.command == "run" else supervisor.web(settings)
        return keys_command(args, settings)
    except (errors.EngineError, SettingsError, servers.ServerError) as error:
        print(f"tanktop: {getattr(error, 'message', error)}", file=sys.stderr)
        return 2
    except errors.UNAVAILABLE as error:
        print(f"tanktop: cannot reach Redis: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
