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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

import redis

from engine import errors, exactjson, ids, keys, scripts, times

#: Events that take no value (content, channel and section events of the seeds).
NO_VALUE = frozenset({"watchlist", "seen", "hide", "detail", "consumed", "displayed"})
#: Events whose value is a time (channel viewing): Unix seconds or ISO 8601, default now.
TIME_VALUE = frozenset({"start", "end"})
#: Names no event may have: a list read answers {"<event>": {...}, "items": [...]}.
RESERVED = frozenset({"items"})
#: Events whose value is required: a rating (negative = dislike), minutes watched (>= 0).
RATING, PROGRESS = "rated", "progress"

MAX_IDS = 1000  # item ids asked about in one request
MAX_PAGE = 1000
DEFAULT_PAGE = 100
LOG_MAX = 1_000_000  # analytics stream entries kept (approximately)
LOG_CALL = 2000  # log entries appended by one script call


_apply = scripts.load("apply_events")
_log = scripts.load("log_events")
_list = scripts.load("list_events")
_forget = scripts.load("forget_log_purge")


class Event(NamedTuple):
    """One validated event, ready to store. `value` is JSON number text, '' for none.
    (A NamedTuple: bulk imports make a million of these.)"""

    user: str
    event: str
    item_type: str
    item: str
    value: str
    ms: int
    delete: bool = False


def _number(raw: Any, event: str) -> str:
    """JSON number text of a value from a URL (str) or a JSON body (int, Decimal)."""
    if type(raw) is int:
        text = str(raw)
        if len(text) <= 300:  # the common case: a small integer, in range
            return text
    elif isinstance(raw, str) and exactjson.NUMBER.fullmatch(raw):
        text = raw
    elif isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        text = exactjson.dumps(raw)
    else:
        raise errors.InvalidValue(
            f"the value of {event} must be a number", fields={"value": ["not a number"]}
        )
    if not exactjson.in_range(text):
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


def _event_name(event: str) -> str:
    ids.event_name(event)
    if event in RESERVED:
        raise errors.InvalidValue(f"{event} is a reserved name", fields={"event": ["reserved"]})
    return event


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
    _event_name(event)
    ids.item_type(item_type)
    ids.item_id(item)
    ms = now_ms if ts is None else times.parse(ts, now_ms=now_ms)
    stored = "" if delete else value_for(event, value, ms, now_ms=now_ms)
    return Event(user, event, item_type, item, stored, ms, delete)


LINE_FIELDS = frozenset({"user_id", "event", "item_type", "item_id", "value", "ts"})
REQUIRED = ("user_id", "event", "item_type", "item_id")


def from_line(line: Any, *, now_ms: int) -> Event:
    """An event from one parsed line of a batch or an import file:
    {"user_id", "event", "item_type", "item_id", "value"?, "ts"?}. Whatever is wrong with
    the line is an InvalidValue, so one bad line never costs its neighbours."""
    try:
        return _from_line(line, now_ms)
    except errors.InvalidValue:
        raise
    except (TypeError, ValueError, ArithmeticError):
        raise errors.InvalidValue("not a valid event line") from None


def _from_line(line: Any, now_ms: int) -> Event:
    """from_line without the guard."""
    if not isinstance(line, dict):
        raise errors.InvalidValue("a line must be a JSON object")
    if not line.keys() <= LINE_FIELDS:
        unknown = sorted(set(line) - LINE_FIELDS)
        raise errors.InvalidValue(
            f"unknown field {unknown[0]}", fields={name: ["unknown field"] for name in unknown}
        )
    missing = [name for name in REQUIRED if name not in line]
    if missing:
        raise errors.InvalidValue(f"{missing[0]} is missing", fields={name: ["missing"] for name in missing})
    value, event = line.get("value"), line["event"]
    if isinstance(value, str) and isinstance(event, str) and event not in TIME_VALUE:
        raise errors.InvalidValue("value must be a JSON number", fields={"value": ["not a number"]})
    item = line["item_id"]
    if type(item) is int and 0 <= item < 10**15:  # as the API shows decimal ids (section instances)
        item = str(item)
    return make(
        line["user_id"],
        line["event"],
        line["item_type"],
        item,
        value,
        line.get("ts"),
        now_ms=now_ms,
    )


def list_keys(service: str, user: str, item_type: str, event: str) -> list[str]:
    """The keys apply_events takes for one list of one user."""
    return [
        keys.event_times(service, user, item_type, event),
        keys.event_values(service, user, item_type, event),
        keys.event_lists(service, user),
    ]


def queue_log(batch: scripts.Batch, service: str, events: Sequence[Event], log_max: int, log: bool) -> None:
    """The events' analytics log entries: an XADD for one event, else a script call per
    LOG_CALL of them (a script costs Redis more than one XADD, and the client far less than
    many)."""
    if log and len(events) == 1:
        e = events[0]
        fields = (
            "user", e.user, "event", e.event, "item_type", e.item_type, "item", e.item, "value", e.value,
            "ts", times.seconds_text(e.ms), "action", "delete" if e.delete else "record",
        )  # fmt: skip
        batch.raw("XADD", keys.event_log(service), "MAXLEN", "~", log_max, "*", *fields)
    elif log:
        stream = [keys.event_log(service)]
        for first in range(0, len(events), LOG_CALL):
            entries = "".join(
                f"{e.user}\t{e.event}\t{e.item_type}\t{e.item}\t{e.value}\t{times.seconds_text(e.ms)}\t"
                f"{'delete' if e.delete else 'record'}\n"
                for e in events[first : first + LOG_CALL]
            )
            batch.script(_log, stream, [log_max, entries])


def queue(
    batch: scripts.Batch, service: str, events: Sequence[Event], *, log_max: int = LOG_MAX, log: bool = True
) -> dict[tuple[str, str, str], int]:
    """Queue `events` on `batch`: one script call per (user, list), the list's events in
    order, then (with `log`) the log entries, a script call per LOG_CALL of them. Returns
    each (user, item type, event)'s position among the batch's results."""
    if len(events) == 1:  # the API's hot path: one event, no grouping
        e = events[0]
        line = f"{'-' if e.delete else '+'}\t{e.item}\t{e.ms}\t{e.value}\n"
        batch.script(
            _apply, list_keys(service, e.user, e.item_type, e.event), [f"{e.item_type}|{e.event}", line]
        )
        queue_log(batch, service, events, log_max, log)
        return {(e.user, e.item_type, e.event): 0}
    by_list: dict[tuple[str, str, str], list[str]] = {}
    for e in events:
        by_list.setdefault((e.user, e.item_type, e.event), []).append(
            f"{'-' if e.delete else '+'}\t{e.item}\t{e.ms}\t{e.value}\n"
        )
    positions = {}
    for (user, item_type, event), lines in by_list.items():
        positions[user, item_type, event] = len(batch)
        batch.script(
            _apply, list_keys(service, user, item_type, event), [f"{item_type}|{event}", "".join(lines)]
        )
    queue_log(batch, service, events, log_max, log)
    return positions


def append_log(r, service: str, events: Sequence[Event], *, log_max: int = LOG_MAX) -> None:
    """Only the analytics log entries of `events` (stored some other way)."""
    if events:
        batch = scripts.Batch(r)
        queue_log(batch, service, events, log_max, True)
        batch.execute()


def apply(
    r, service: str, events: Sequence[Event], *, log_max: int = LOG_MAX, log: bool = True
) -> list[bool]:
    """Store `events` in one round trip; for each, whether it changed anything (False: an
    older event than the one stored, which is kept). `log=False` leaves the analytics log
    out (a historical backfill)."""
    if not events:
        return []
    batch = scripts.Batch(r)
    positions = queue(batch, service, events, log_max=log_max, log=log)
    return applied(events, positions, batch.execute())


def applied(
    events: Sequence[Event], positions: dict[tuple[str, str, str], int], results: Sequence[Any]
) -> list[bool]:
    """For each of `events`, queued with `queue`, whether it changed anything."""
    found = {where: iter(results[position]) for where, position in positions.items()}
    return [bool(next(found[e.user, e.item_type, e.event])) for e in events]


def _check_ids(item_ids: Sequence[str]) -> list[str]:
    """The ids, each once, in their order; at most MAX_IDS of them."""
    if len(item_ids) > MAX_IDS:
        raise errors.InvalidValue(
            f"at most {MAX_IDS} item ids per request, not {len(item_ids)}", fields={"id": ["too many"]}
        )
    for item in item_ids:
        ids.item_id(item)
    return list(dict.fromkeys(item_ids))


def _present(score: float | None) -> bool:
    return score is not None and score >= 0


def values_of(
    r, service: str, user: str, event: str, item_type: str, item_ids: Sequence[str]
) -> dict[str, str]:
    """Of `item_ids`, those in the user's list, with their values ('' for none)."""
    ids.user_id(user)
    _event_name(event)
    ids.item_type(item_type)
    unique = _check_ids(item_ids)
    if not unique:
        return {}
    pipe = r.pipeline(transaction=False)
    pipe.zmscore(keys.event_times(service, user, item_type, event), unique)
    pipe.hmget(keys.event_values(service, user, item_type, event), unique)
    scores, values = pipe.execute()
    return {
        item: value or ""
        for item, score, value in zip(unique, scores, values, strict=True)
        if _present(score)
    }


@dataclass(frozen=True)
class Entry:
    item: str
    value: str
    ms: int


def encode_cursor(ms: int, item: str) -> str:
    return base64.urlsafe_b64encode(f"{ms}|{item}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, check: Callable[[str], str] = ids.item_id) -> tuple[int, str]:
    """(ms, item) of a cursor encode_cursor made; `check` validates the item."""
    try:
        ms, _, item = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("|")
        if not (ms.isascii() and ms.isdecimal()):  # a time in the list is never negative
            raise ValueError(ms)
        return int(ms), check(item)
    except (binascii.Error, UnicodeDecodeError, ValueError, errors.InvalidValue):
        raise errors.InvalidValue(
            "cursor is not one a list gave out", fields={"cursor": ["invalid"]}
        ) from None


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
    _event_name(event)
    ids.item_type(item_type)
    if not 1 <= limit <= MAX_PAGE:
        raise errors.InvalidValue(f"limit must be from 1 to {MAX_PAGE}", fields={"limit": ["out of range"]})
    after_ms, after_item = decode_cursor(cursor) if cursor else ("", "")
    times_values = [
        keys.event_times(service, user, item_type, event),
        keys.event_values(service, user, item_type, event),
    ]
    flat = _list(r, times_values, [after_ms, after_item, limit + 1])
    entries = [
        Entry(item, value, int(float(ms)))
        for item, ms, value in zip(flat[0::3], flat[1::3], flat[2::3], strict=True)
    ]
    more = len(entries) > limit
    entries = entries[:limit]
    return entries, (encode_cursor(entries[-1].ms, entries[-1].item) if more else None)


#: (service, item type) -> events seen with lists of that type: the lists the all-lists read
#: asks about in its first round trip (a second one covers any it did not know). Bounded.
_known_lists: dict[tuple[str, str], set[str]] = {}
_KNOWN_MAX = 10_000  # (service, item type) pairs remembered
SPECULATE_MAX = 32  # lists read before knowing the user has them; past this, ask first


def _queue_list_reads(pipe, service: str, user: str, item_type: str, names, items: list[str]) -> None:
    for event in names:
        pipe.zmscore(keys.event_times(service, user, item_type, event), items)
        pipe.hmget(keys.event_values(service, user, item_type, event), items)


def _list_replies(names, replies: list, items: list[str]) -> dict[str, dict[str, str]]:
    """{event: {item: value}} from _queue_list_reads' replies (items in the list only)."""
    found = {}
    for event, scores, values in zip(names, replies[0::2], replies[1::2], strict=True):
        found[event] = {
            item: value or ""
            for item, score, value in zip(items, scores, values, strict=True)
            if _present(score)
        }
    return found


def memberships(
    r, service: str, user: str, item_type: str, item_ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    """For every list of `item_type` the user has: which of `item_ids` are in it, with values.
    One round trip when this process already knows the service's lists of that type (the
    user's own list set comes in the same round trip, so nothing is missed or invented)."""
    ids.user_id(user)
    ids.item_type(item_type)
    unique = _check_ids(item_ids)
    if not unique:
        return {}
    known = sorted(_known_lists.get((service, item_type), ()))
    if len(known) > SPECULATE_MAX:
        known = []
    pipe = r.pipeline(transaction=False)
    pipe.smembers(keys.event_lists(service, user))
    _queue_list_reads(pipe, service, user, item_type, known, unique)
    mine_raw, *replies = pipe.execute()
    mine = {name.partition("|")[2] for name in mine_raw if name.partition("|")[0] == item_type}
    found = {event: items for event, items in _list_replies(known, replies, unique).items() if event in mine}
    missed = sorted(mine - set(known))
    if missed:
        pipe = r.pipeline(transaction=False)
        _queue_list_reads(pipe, service, user, item_type, missed, unique)
        found.update(_list_replies(missed, pipe.execute(), unique))
        if len(_known_lists) > _KNOWN_MAX:
            _known_lists.clear()
        _known_lists.setdefault((service, item_type), set()).update(missed)
    return {event: found[event] for event in sorted(found) if found[event]}


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
    unique = _check_ids(item_ids)
    for name in (*include, *exclude):
        ids.event_name(name, "event name")
    names = list(dict.fromkeys((*include, *exclude)))
    if not unique or not names:
        return list(item_ids)
    pipe = r.pipeline(transaction=False)
    for event in names:
        pipe.zmscore(keys.event_times(service, user, item_type, event), unique)
    member_of = {
        event: {item for item, score in zip(unique, scores, strict=True) if _present(score)}
        for event, scores in zip(names, pipe.execute(), strict=True)
    }
    included = set().union(*(member_of[event] for event in include)) if include else None
    excluded = set().union(*(member_of[event] for event in exclude))
    return [item for item in item_ids if (included is None or item in included) and item not in excluded]


def request_log_purge(r, service: str, user: str) -> None:
    """Note that the user's entries in the analytics log, up to its newest entry now, are to
    go (the periodic sweep deletes them: scanning a long stream is no work for a request).
    The cutoff is an entry id, from Redis's clock, not any web host's."""
    try:
        cutoff = r.xinfo_stream(keys.event_log(service))["last-generated-id"]
    except redis.ResponseError:  # no log yet: nothing to delete
        return
    r.hset(keys.log_purges(service), user, cutoff)
    r.sadd(keys.log_purge_services(), service)


def pending_log_purges(r) -> list[str]:
    """Services with purges still to sweep from their analytics logs."""
    return sorted(r.smembers(keys.log_purge_services()))


def _entry_id(text: str) -> tuple[int, int]:
    ms, _, sequence = text.partition("-")
    return int(ms), int(sequence or 0)


def purge_log(r, service: str, *, chunk: int = 1000) -> int:
    """Delete from the service's analytics log every entry of the users whose purge is
    pending, up to each purge's cutoff; returns how many entries went."""
    stored = r.hgetall(keys.log_purges(service))
    pending = {user: _entry_id(cutoff) for user, cutoff in stored.items()}
    log, deleted, start = keys.event_log(service), 0, "-"
    while pending:
        entries = r.xrange(log, min=start, max="+", count=chunk)
        doomed = [
            entry_id
            for entry_id, fields in entries
            if fields.get("user") in pending and _entry_id(entry_id) <= pending[fields["user"]]
        ]
        if doomed:
            deleted += r.xdel(log, *doomed)
        if len(entries) < chunk:
            break
        start = "(" + entries[-1][0]
    for user, cutoff in stored.items():
        _forget(r, [keys.log_purges(service)], [user, cutoff])
    if not r.hlen(keys.log_purges(service)):
        r.srem(keys.log_purge_services(), service)
        if r.hlen(keys.log_purges(service)):  # a purge came in meanwhile
            r.sadd(keys.log_purge_services(), service)
    return deleted
