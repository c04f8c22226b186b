"""Events: what users do (seed 000 "User Actions and Events"), kept as per-user lists.

An event is (user, event name, item type, item, value, event time). Per (user, event,
item) the newest event time wins: a retry, or an older event delivered late, changes
nothing. Recording adds the item to the list "<item type>|<event>"; deleting removes it
(and leaves a tombstone with the time, so an older event cannot bring it back). Every
accepted event is also appended to the service's capped analytics stream.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine import errors, exactjson, ids, keys, scripts, times

#: Events that take no value (content, channel and section events of the seeds).
NO_VALUE = frozenset({"watchlist", "seen", "hide", "detail", "consumed", "displayed"})
#: Events whose value is a time (channel viewing): Unix seconds or ISO 8601, default now.
TIME_VALUE = frozenset({"start", "end"})
#: Events whose value is required: a rating (negative = dislike), minutes watched (>= 0).
RATING, PROGRESS = "rated", "progress"

MAX_IDS = 1000  # item ids asked about in one request
MAX_PAGE = 1000
DEFAULT_PAGE = 100
LOG_MAX = 1_000_000  # analytics stream entries kept (approximately)

_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")

_apply = scripts.load("apply_events")
_list = scripts.load("list_events")
_memberships = scripts.load("event_memberships")


@dataclass(frozen=True, slots=True)
class Event:
    """One validated event, ready to store. `value` is JSON number text, '' for none."""

    user: str
    event: str
    item_type: str
    item: str
    value: str
    ms: int
    delete: bool = False


def _number(raw: Any, event: str) -> str:
    """JSON number text of a value from a URL (str) or a JSON body (int, Decimal)."""
    if isinstance(raw, str) and _NUMBER.fullmatch(raw):
        text = raw
    elif isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        text = exactjson.dumps(raw)
    else:
        raise errors.InvalidValue(
            f"the value of {event} must be a number", fields={"value": ["not a number"]}
        )
    magnitude = Decimal(text)
    if magnitude.adjusted() > 300 or (magnitude and magnitude.adjusted() < -300):
        raise errors.InvalidValue(f"the value of {event} is out of range", fields={"value": ["out of range"]})
    return text


def value_for(event: str, raw: Any, ms: int, *, now_ms: int) -> str:
    """The stored value of `event` given `raw` (None when none was sent), or a 400."""
    if event in NO_VALUE:
        if raw is not None:
            raise errors.InvalidValue(f"{event} takes no value", fields={"value": ["not allowed"]})
        return ""
    if event in TIME_VALUE:
        return times.seconds_text(ms if raw is None else times.parse(raw, now_ms=now_ms, field="value"))
    if raw is None:
        if event in (RATING, PROGRESS):
            raise errors.InvalidValue(f"{event} needs a value", fields={"value": ["missing"]})
        return ""
    text = _number(raw, event)
    if event == PROGRESS and text.startswith("-") and Decimal(text) != 0:
        raise errors.InvalidValue(
            "progress is minutes watched and cannot be negative", fields={"value": ["< 0"]}
        )
    return text


def make(
    user: str,
    event: str,
    item_type: str,
    item: str,
    value: Any = None,
    ts: Any = None,
    *,
    now_ms: int,
    delete: bool = False,
) -> Event:
    """A validated event (or deletion); InvalidValue says which part is wrong."""
    ids.user_id(user)
    ids.event_name(event)
    ids.item_type(item_type)
    ids.item_id(item)
    ms = now_ms if ts is None else times.parse(ts, now_ms=now_ms)
    stored = "" if delete else value_for(event, value, ms, now_ms=now_ms)
    return Event(user, event, item_type, item, stored, ms, delete)


def user_event_keys(service: str, user: str) -> list[str]:
    """The keys of one user's events, in the order the event scripts take them."""
    return [
        keys.event_values(service, user),
        keys.event_order(service, user),
        keys.event_lists(service, user),
    ]


def queue(
    batch: scripts.Batch, service: str, events: Sequence[Event], *, log_max: int = LOG_MAX
) -> dict[str, int]:
    """Queue `events` on `batch`: one script call per user (the user's events in order),
    then one log entry per event. Returns each user's position among the batch's results."""
    by_user: dict[str, list[Event]] = {}
    for event in events:
        by_user.setdefault(event.user, []).append(event)
    positions = {}
    for user, mine in by_user.items():
        args = []
        for e in mine:
            args += ["-" if e.delete else "+", e.item_type, e.event, e.item, e.ms, e.value]
        positions[user] = len(batch)
        batch.script(_apply, user_event_keys(service, user), args)
    log = keys.event_log(service)
    for e in events:
        action = "delete" if e.delete else "record"
        fields = {
            "user": e.user,
            "event": e.event,
            "item_type": e.item_type,
            "item": e.item,
            "value": e.value,
            "ts": times.seconds_text(e.ms),
            "action": action,
        }
        batch.command("xadd", log, fields, maxlen=log_max, approximate=True)
    return positions


def apply(r, service: str, events: Sequence[Event], *, log_max: int = LOG_MAX) -> list[bool]:
    """Store `events` in one round trip; for each, whether it changed anything (False: an
    older event than the one stored, which is kept)."""
    if not events:
        return []
    batch = scripts.Batch(r)
    positions = queue(batch, service, events, log_max=log_max)
    results = batch.execute()
    applied = {user: iter(results[position]) for user, position in positions.items()}
    return [bool(next(applied[e.user])) for e in events]


def _check_ids(item_ids: Sequence[str]) -> None:
    if len(item_ids) > MAX_IDS:
        raise errors.InvalidValue(
            f"at most {MAX_IDS} item ids per request, not {len(item_ids)}", fields={"id": ["too many"]}
        )
    for item in item_ids:
        ids.item_id(item)


def _stored_value(stored: str | None) -> str | None:
    """The value in "<ms>=<value>", or None when the item is not in the list."""
    if not stored:
        return None
    _, sep, value = stored.partition("=")
    return value if sep else None


def values_of(
    r, service: str, user: str, event: str, item_type: str, item_ids: Sequence[str]
) -> dict[str, str]:
    """Of `item_ids`, those in the user's list, with their values ('' for none)."""
    ids.user_id(user)
    ids.event_name(event)
    ids.item_type(item_type)
    _check_ids(item_ids)
    unique = list(dict.fromkeys(item_ids))
    if not unique:
        return {}
    stored = r.hmget(keys.event_values(service, user), [f"{item_type}|{event}|{item}" for item in unique])
    found = {item: _stored_value(text) for item, text in zip(unique, stored, strict=True)}
    return {item: value for item, value in found.items() if value is not None}


@dataclass(frozen=True)
class Entry:
    item: str
    value: str
    ms: int


def _encode_cursor(member: str) -> str:
    return base64.urlsafe_b64encode(member.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, prefix: str) -> str:
    try:
        member = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        member = ""
    if not member.startswith(prefix):
        raise errors.InvalidValue("cursor is not one this list gave out", fields={"cursor": ["invalid"]})
    return member


def page(
    r,
    service: str,
    user: str,
    event: str,
    item_type: str,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE,
) -> tuple[list[Entry], str | None]:
    """One page of a list, newest first, and the cursor of the next page (None at the end)."""
    ids.user_id(user)
    ids.event_name(event)
    ids.item_type(item_type)
    if not 1 <= limit <= MAX_PAGE:
        raise errors.InvalidValue(f"limit must be from 1 to {MAX_PAGE}", fields={"limit": ["out of range"]})
    prefix = f"{item_type}|{event}"
    start = _decode_cursor(cursor, prefix + "|") if cursor else ""
    flat = _list(
        r, [keys.event_order(service, user), keys.event_values(service, user)], [prefix, start, limit + 1]
    )
    entries = []
    for member, stored in zip(flat[0::2], flat[1::2], strict=True):
        ms_text, _, value = stored.partition("=")
        entries.append((member, Entry(member.split("|", 3)[3], value, int(ms_text))))
    more = len(entries) > limit
    entries = entries[:limit]
    next_cursor = _encode_cursor(entries[-1][0]) if more else None
    return [entry for _, entry in entries], next_cursor


def memberships(
    r, service: str, user: str, item_type: str, item_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    """For every list of `item_type` the user has: which of `item_ids` are in it, with values."""
    ids.user_id(user)
    ids.item_type(item_type)
    _check_ids(item_ids)
    unique = list(dict.fromkeys(item_ids))
    if not unique:
        return {}
    flat = _memberships(
        r, [keys.event_values(service, user), keys.event_lists(service, user)], [item_type, *unique]
    )
    found: dict[str, dict[str, str]] = {}
    for event, item, stored in zip(flat[0::3], flat[1::3], flat[2::3], strict=True):
        found.setdefault(event, {})[item] = _stored_value(stored)
    return found


def filter_items(
    r,
    service: str,
    user: str,
    item_type: str,
    item_ids: Sequence[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[str]:
    """`item_ids`, in their order, that are in at least one `include` list (when any is
    given) and in none of the `exclude` lists. One read, so a removal shows at once."""
    ids.user_id(user)
    ids.item_type(item_type)
    _check_ids(item_ids)
    for name in (*include, *exclude):
        ids.event_name(name, "event name")
    events = list(dict.fromkeys((*include, *exclude)))
    if not item_ids or not events:
        return list(item_ids)
    fields = [f"{item_type}|{event}|{item}" for item in item_ids for event in events]
    stored = iter(r.hmget(keys.event_values(service, user), fields))
    passing = []
    for item in item_ids:
        member_of = {event for event in events if _stored_value(next(stored)) is not None}
        if (not include or member_of & set(include)) and not member_of & set(exclude):
            passing.append(item)
    return passing


def request_log_purge(r, service: str, user: str, *, now_ms: int) -> None:
    """Note that the user's entries up to now are to leave the analytics log (the periodic
    sweep deletes them: scanning a long stream is no work for a request)."""
    r.hset(keys.log_purges(service), user, now_ms)
    r.sadd(keys.log_purge_services(), service)


def pending_log_purges(r) -> list[str]:
    """Services with purges still to sweep from their analytics logs."""
    return sorted(r.smembers(keys.log_purge_services()))


def purge_log(r, service: str, *, chunk: int = 1000) -> int:
    """Delete from the service's analytics log every entry of the users whose purge is
    pending, up to the time of each purge; returns how many entries went."""
    pending = {user: int(ms) for user, ms in r.hgetall(keys.log_purges(service)).items()}
    log, deleted, start = keys.event_log(service), 0, "-"
    while pending:
        entries = r.xrange(log, min=start, max="+", count=chunk)
        doomed = [
            entry_id
            for entry_id, fields in entries
            if fields.get("user") in pending and int(entry_id.split("-")[0]) <= pending[fields["user"]]
        ]
        if doomed:
            deleted += r.xdel(log, *doomed)
        if len(entries) < chunk:
            break
        start = "(" + entries[-1][0]
    for user, ms in pending.items():  # a newer purge of the same user stays pending
        if r.hget(keys.log_purges(service), user) == str(ms):
            r.hdel(keys.log_purges(service), user)
    if not r.hlen(keys.log_purges(service)):
        r.srem(keys.log_purge_services(), service)
        if r.hlen(keys.log_purges(service)):  # a purge came in meanwhile
            r.sadd(keys.log_purge_services(), service)
    return deleted
