"""Bookmarks: "continue watching" (seed 000 "Bookmarks"), kept by the viewing events.

A `progress` event (minutes into the item) or a `seen` event on a movie, an episode or any
other item moves the user's bookmark of it, in the same script that records the event:

- an episode's bookmark is its programme's: the episode in progress, or after a finished
  one the next by (season, episode), or none after the last;
- progress past the completion threshold (default 90% of the catalogue duration) counts
  as `seen` (and is recorded as a seen event too); `seen` on a movie ends its bookmark;
- a micro-play (under `min_minutes`, default 2) starts no bookmark; a bookmark never
  moves back: not to an older event time, nor within a programme to an earlier episode;
- an item the catalogue does not know still gets a bookmark, without percent or next
  episode;
- `DELETE` dismisses a bookmark until the user makes newer progress on it.

Live TV: channel `start` and `end` events (value: the time) open and close the user's
session on a channel; closing it turns the programme guide's slots it overlapped into
progress events (minutes overlapping each slot) and seen events (overlap past the
threshold of the slot's length). A `start` closes the open session; a session left open
longer than `session_hours` (default 4) is closed at that length by a periodic job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from engine import errors, events, ids, keys, recommend, scripts, tuning

#: Item types that cannot have a bookmark: viewing a channel makes bookmarks of the
#: programmes it showed; the others are not watched.
NOT_BOOKMARKED = frozenset({"channel", "section", "sport", "team", "person", "category"})
CHANNEL = "channel"
VIEWING = frozenset({events.PROGRESS, "seen"})
MAX_PROGRESS_TIMES = 3  # progress beyond this many times the duration is refused

DEFAULTS = {"completion": 0.9, "min_minutes": 2, "session_hours": 4}
_LIMITS = {"completion": (0.5, 1.0), "min_minutes": (0, 60), "session_hours": (0.25, 24)}

MAX_PAGE = 200
DEFAULT_PAGE = 50
SESSION_ATTEMPTS = 5  # a live event retried when the session changed under it
EXPIRE_BATCH = 500  # open sessions closed per service per round of the periodic job

_record = scripts.load("record_viewing")
_dismiss = scripts.load("dismiss_bookmark")
_list = scripts.load("list_events")


# Settings


def config(r, service: str) -> dict[str, float]:
    """The bookmark settings in force: the defaults with the service's own on top."""
    return tuning.in_force(DEFAULTS, r.get(keys.bookmark_config(service)))


def put_config(r, service: str, doc: Any) -> dict[str, float]:
    """Replace the service's own settings (absent ones fall back to the defaults)."""
    checked = tuning.check(doc, _LIMITS, what="bookmark settings")
    r.set(keys.bookmark_config(service), json.dumps(checked))
    return {**DEFAULTS, **checked}


# Recording


def is_viewing(e: events.Event) -> bool:
    """Whether the event moves bookmarks or live sessions (and so is recorded here)."""
    if e.delete:
        return False
    if e.item_type == CHANNEL:
        return e.event in ("start", "end")
    return e.event in VIEWING and e.item_type not in NOT_BOOKMARKED


class Info(NamedTuple):
    """What bookmarks read of a catalogue item (all None when it is not in the catalogue)."""

    name: str | None
    duration: float | None
    programme: str | None
    order: int | None


def _info(reply: list[str | None]) -> Info:
    name, duration, programme, order = reply
    return Info(
        name or None,
        float(duration) if duration else None,
        programme or None,
        int(order) if order else None,
    )


#: What the bookmark listings show of catalogue items (names, durations), kept a few
#: seconds per process: a listing of 200 bookmarks would otherwise read 300 items each time.
#: (service, item type, item id) -> (monotonic expiry, Info). Writes never use it.
_shown: dict[tuple[str, str, str], tuple[float, Info]] = {}
SHOWN_SECONDS = 5.0
SHOWN_MAX = 100_000


def forget_shown() -> None:
    """Empty the display cache (tests; a process that wants fresh names at once)."""
    _shown.clear()


def _read_shown(r, service: str, items: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Info]:
    """Catalogue facts of `items` for display: from the few-seconds cache, the rest in one
    round trip."""
    now = time.monotonic()
    found, missing = {}, []
    for item in dict.fromkeys(items):
        cached = _shown.get((service, *item))
        if cached is not None and cached[0] > now:
            found[item] = cached[1]
        else:
            missing.append(item)
    if missing:
        read = _read_items(r, service, missing)[1]
        if len(_shown) + len(read) > SHOWN_MAX:
            _shown.clear()
        expires = now + SHOWN_SECONDS
        for item, info in read.items():
            _shown[(service, *item)] = (expires, info)
        found.update(read)
    return found


def _read_items(
    r, service: str, items: Sequence[tuple[str, str]], *, settings: bool = False
) -> tuple[dict[str, float] | None, dict[tuple[str, str], Info]]:
    """Catalogue facts of `items` (and with `settings` the service's settings), in one
    round trip."""
    unique = list(dict.fromkeys(items))
    if not unique and not settings:
        return None, {}
    pipe = r.pipeline(transaction=False)
    if settings:
        pipe.get(keys.bookmark_config(service))
    for item_type, item_id in unique:
        pipe.hmget(keys.catalog_item(service, item_type, item_id), "name", "duration", "programme", "order")
    replies = pipe.execute()
    cfg = tuning.in_force(DEFAULTS, replies.pop(0)) if settings else None
    return cfg, {item: _info(reply) for item, reply in zip(unique, replies, strict=True)}


def _next_episodes(
    r, service: str, wanted: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], tuple[str, int]]:
    """(programme, order) -> the next episode after that order ("<type>|<id>", its order)."""
    unique = list(dict.fromkeys(wanted))
    if not unique:
        return {}
    pipe = r.pipeline(transaction=False)
    for programme, order in unique:
        pipe.zrangebyscore(
            keys.episodes(service, programme), f"({order}", "+inf", start=0, num=1, withscores=True
        )
    found = {}
    for asked, reply in zip(unique, pipe.execute(), strict=True):
        if reply:
            found[asked] = (reply[0][0], int(reply[0][1]))
    return found


class View(NamedTuple):
    """One viewing event to record: kind 'p' (progress, `position` minutes) or 's' (seen).
    `length` is the slot's length in minutes for a live programme (the threshold's base
    then), None for on-demand viewing (the catalogue duration is)."""

    user: str
    item_type: str
    item: str
    kind: str
    ms: int
    position: str
    length: float | None = None


def _prepare(
    r,
    service: str,
    views: Sequence[View],
    cfg: dict[str, float],
    infos: dict[tuple[str, str], Info] | None = None,
) -> tuple[dict[tuple[str, str], list[str]], dict[int, errors.InvalidValue]]:
    """record_viewing lines per (user, item type), and the views refused, by index."""
    if infos is None:
        infos = _read_items(r, service, [(v.item_type, v.item) for v in views])[1]
    refused: dict[int, errors.InvalidValue] = {}
    plans = []
    for index, v in enumerate(views):
        info = infos[v.item_type, v.item]
        base = v.length if v.length is not None else info.duration
        position = float(v.position) if v.kind == "p" else 0.0
        if (
            v.kind == "p"
            and v.length is None
            and info.duration
            and position > MAX_PROGRESS_TIMES * info.duration
        ):
            refused[index] = errors.InvalidValue(
                f"progress of {v.position} minutes is over {MAX_PROGRESS_TIMES} times the duration of "
                f"{v.item_type}/{v.item} ({minutes_text(info.duration)} minutes)",
                fields={"value": ["beyond the item's duration"]},
            )
            continue
        completes = v.kind == "p" and bool(base) and position >= cfg["completion"] * base
        may_start = v.kind == "s" or position >= cfg["min_minutes"]
        plans.append((v, info, completes, may_start))
    wanted = [
        (info.programme, info.order)
        for v, info, completes, _ in plans
        if info.programme and info.order is not None and (v.kind == "s" or completes)
    ]
    following = _next_episodes(r, service, wanted)
    lines: dict[tuple[str, str], list[str]] = {}
    for v, info, completes, may_start in plans:
        episode = info.programme is not None and info.order is not None
        member = f"programme|{info.programme}" if episode else f"{v.item_type}|{v.item}"
        nxt, nxt_order = following.get((info.programme, info.order), ("", "")) if episode else ("", "")
        lines.setdefault((v.user, v.item_type), []).append(
            f"{v.kind}\t{v.item}\t{v.ms}\t{v.position if v.kind == 'p' else ''}\t{member}\t"
            f"{info.order if episode else ''}\t{int(completes)}\t{nxt}\t{nxt_order}\t{int(may_start)}\n"
        )
    return lines, refused


def plan(
    r, service: str, views: Sequence[View]
) -> tuple[dict[str, float], dict[tuple[str, str], list[str]], dict[int, errors.InvalidValue]]:
    """Read what recording `views` needs (the settings, the catalogue, next episodes: one
    or two round trips): (the settings, the lines for queue_plan, the views refused by
    index: progress beyond the item's duration)."""
    cfg, infos = _read_items(r, service, [(v.item_type, v.item) for v in views], settings=True)
    lines, refused = _prepare(r, service, views, cfg, infos)
    return cfg, lines, refused


def queue_plan(batch: scripts.Batch, service: str, lines: dict[tuple[str, str], list[str]]) -> None:
    """Queue the viewing planned by plan(): one script call per (user, item type)."""
    for (user, item_type), group in lines.items():
        batch.script(_record, _record_keys(service, user, item_type), [item_type, "*", "*", "".join(group)])


def minutes_text(minutes: float) -> str:
    """Minutes as number text, to the hundredth."""
    return f"{minutes:.2f}".rstrip("0").rstrip(".")


def _record_keys(service: str, user: str, item_type: str) -> list[str]:
    return [
        keys.bookmarks(service, user),
        keys.bookmark_marks(service, user),
        keys.event_lists(service, user),
        keys.live_session(service, user),
        keys.event_times(service, user, item_type, events.PROGRESS),
        keys.event_values(service, user, item_type, events.PROGRESS),
        keys.event_times(service, user, item_type, "seen"),
        keys.event_values(service, user, item_type, "seen"),
    ]


def record(
    r, service: str, made: Sequence[events.Event], *, log_max: int = events.LOG_MAX
) -> dict[int, errors.EngineError]:
    """Store `made` (any events): viewing events with their bookmarks, channel events with
    their live sessions, the rest as events.apply does. Returns the events refused (by
    index; nothing of them was stored): progress beyond the item's duration, a channel
    `end` with no session open on that channel or before its start."""
    plain = [e for e in made if not is_viewing(e)]
    on_demand = [(i, e) for i, e in enumerate(made) if is_viewing(e) and e.item_type != CHANNEL]
    live = [(i, e) for i, e in enumerate(made) if is_viewing(e) and e.item_type == CHANNEL]
    refused: dict[int, errors.EngineError] = {}
    if not on_demand and not live:
        recommend.apply(r, service, plain, log_max=log_max)
        return refused
    views = [View(e.user, e.item_type, e.item, "p" if e.event == events.PROGRESS else "s", e.ms, e.value)
             for _, e in on_demand]  # fmt: skip
    cfg, lines, bad = plan(r, service, views)
    refused.update({on_demand[index][0]: error for index, error in bad.items()})
    stored = [e for i, e in on_demand if i not in refused]
    batch = scripts.Batch(r)
    events.queue(batch, service, plain, log=False)
    queue_plan(batch, service, lines)
    events.queue_log(batch, service, [*plain, *stored], log_max, True)
    marks = recommend.queue_marks(r, batch, service, [*plain, *stored])
    batch.execute()
    recommend.noted(service, marks)
    for index, e in live:
        try:
            _live_event(r, service, e, cfg, log_max=log_max)
        except errors.Conflict as error:
            refused[index] = error
    recommend.mark(r, service, [e for i, e in live if i not in refused])
    return refused


# Live TV


class Session(NamedTuple):
    channel: str
    start_ms: int

    @property
    def text(self) -> str:
        return f"{self.channel}\t{self.start_ms}"

    @classmethod
    def parse(cls, text: str | None) -> Session | None:
        if not text:
            return None
        channel, _, start = text.partition("\t")
        return cls(channel, int(start))


def _value_ms(value: str) -> int:
    return int(Decimal(value) * 1000)


def _slots(r, service: str, channel: str, start_ms: int, end_ms: int) -> list[tuple[int, int, str, str]]:
    """The guide's slots overlapping [start, end): (start, end, item type, item id)."""
    pipe = r.pipeline(transaction=False)
    key = keys.schedule(service, channel)
    pipe.zrevrangebyscore(key, start_ms, "-inf", start=0, num=1)
    pipe.zrangebyscore(key, f"({start_ms}", f"({end_ms}")
    before, within = pipe.execute()
    found = []
    for member in [*before, *within]:
        slot_start, slot_end, item_type, item_id = member.split("|", 3)
        if int(slot_end) > start_ms and int(slot_start) < end_ms:
            found.append((int(slot_start), int(slot_end), item_type, item_id))
    return found


def _session_views(r, service: str, user: str, session: Session, end_ms: int) -> list[View]:
    """The progress (and seen) a closed session makes of the slots it overlapped."""
    views = []
    for slot_start, slot_end, item_type, item_id in _slots(
        r, service, session.channel, session.start_ms, end_ms
    ):
        if item_type in NOT_BOOKMARKED:
            continue
        minutes = minutes_text((min(end_ms, slot_end) - max(session.start_ms, slot_start)) / 60_000)
        if minutes == "0":  # (next to) no time at all: nothing watched
            continue
        views.append(View(
            user, item_type, item_id, "p", min(end_ms, slot_end), minutes, (slot_end - slot_start) / 60_000
        ))  # fmt: skip
    return views


def _session_ms(cfg: dict[str, float]) -> int:
    """How long a session can count for (and be left open)."""
    return int(cfg["session_hours"] * 3_600_000)


def _close(
    r,
    service: str,
    user: str,
    expected: Session | None,
    end_ms: int,
    opened: Session | None,
    cfg: dict[str, float],
    *,
    channel_event: events.Event | None = None,
    log_max: int = events.LOG_MAX,
) -> bool:
    """Close `expected` (if any) at `end_ms`, or session_hours after its start if that is
    sooner, and leave `opened` (or none) open, with the progress the closed session made,
    in one step; False when the session is no longer `expected` (nothing changed)."""
    if expected:  # a session counts for session_hours at most, however long ago it began
        end_ms = min(end_ms, expected.start_ms + _session_ms(cfg))
    views = _session_views(r, service, user, expected, end_ms) if expected else []
    lines, _ = _prepare(r, service, views, cfg)
    if not lines:
        lines = {(user, CHANNEL): []}
    batch = scripts.Batch(r)
    want, leave = (expected.text if expected else ""), (opened.text if opened else "")
    for (_, item_type), group in lines.items():
        batch.script(
            _record, _record_keys(service, user, item_type), [item_type, want, leave, "".join(group)]
        )
        want = leave  # the first call changed it; the others find it changed so
    if batch.execute()[0][0] != 1:
        return False
    batch = scripts.Batch(r)
    index = keys.live_sessions(service)
    if expected:
        batch.raw("ZREM", index, f"{user}\t{expected.text}")
    if opened:
        batch.raw("ZADD", index, opened.start_ms, f"{user}\t{opened.text}")
        batch.raw("SADD", keys.live_services(), service)
    if channel_event is not None:
        events.queue(batch, service, [channel_event], log_max=log_max)
    batch.execute()
    return True


def _live_event(r, service: str, e: events.Event, cfg: dict[str, float], *, log_max: int) -> None:
    """A channel start or end: the session it closes becomes viewing, in one step."""
    at = _value_ms(e.value)
    for _ in range(SESSION_ATTEMPTS):
        current = Session.parse(r.get(keys.live_session(service, e.user)))
        if e.event == "start":
            if current and at < current.start_ms:
                raise errors.Conflict(
                    f"a later session (on channel {current.channel}, from {current.start_ms // 1000}) "
                    "is open: this start is older than it",
                    fields={"value": ["before the open session's start"]},
                )
            opened = Session(e.item, at)
        else:
            if current is None or current.channel != e.item:
                raise errors.Conflict(
                    f"end without a start: no session is open on channel {e.item}",
                    fields={"event": ["no open session on this channel"]},
                )
            if at < current.start_ms:
                raise errors.Conflict(
                    f"end before start: the session on channel {e.item} began at {current.start_ms // 1000}",
                    fields={"value": ["before the session's start"]},
                )
            opened = None
        if _close(r, service, e.user, current, at, opened, cfg, channel_event=e, log_max=log_max):
            return
    raise errors.Conflict("the live session kept changing meanwhile; try again")


def close_expired(r, service: str, *, now_ms: int) -> int:
    """Close the service's sessions open longer than its `session_hours`, each at that
    length; returns how many were closed."""
    cfg = config(r, service)
    limit_ms = _session_ms(cfg)
    index = keys.live_sessions(service)
    closed = 0
    while True:
        due = r.zrangebyscore(index, "-inf", now_ms - limit_ms, start=0, num=EXPIRE_BATCH)
        for member in due:
            user, _, text = member.partition("\t")
            session = Session.parse(text)
            if _close(r, service, user, session, session.start_ms + limit_ms, None, cfg):
                closed += 1
            else:  # closed meanwhile, or a newer one open: its own entry stands for it
                r.zrem(index, member)
        if len(due) < EXPIRE_BATCH:
            return closed


def services_with_sessions(r) -> list[str]:
    return sorted(r.smembers(keys.live_services()))


# Reading


def _check_bookmarkable(item_type: str) -> None:
    ids.item_type(item_type)
    if item_type in NOT_BOOKMARKED:
        raise errors.InvalidValue(
            f"item type {item_type} cannot have a bookmark"
            + (": watching a channel bookmarks the programmes it showed" if item_type == CHANNEL else ""),
            fields={"itemtype": ["cannot have a bookmark"]},
        )


def _plain(number: float) -> int | float:
    """A whole number as an int (JSON 30, not 30.0); plain numbers keep the JSON writer fast."""
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _entries(r, service: str, found: Sequence[tuple[str, int, str]]) -> list[dict[str, Any]]:
    """The API's view of bookmarks (member, ms, record), with names and durations from the
    catalogue (one round trip)."""
    parsed = []
    wanted = []
    for member, ms, stored in found:
        state, _, position, episode, order = stored.split("\t")
        item = tuple(member.split("|", 1))
        parsed.append((item, ms, state, position, episode, order))
        wanted.append(item)
        if episode:
            wanted.append(tuple(episode.split("|", 1)))
    infos = _read_shown(r, service, wanted)
    shown = []
    for item, ms, state, position, episode, order in parsed:
        info = infos[item]
        entry: dict[str, Any] = {"item_type": item[0], "item_id": item[1], "name": info.name}
        duration = info.duration
        if episode:
            ep = tuple(episode.split("|", 1))
            ep_info = infos[ep]
            season, number = divmod(int(order), 100_000)
            duration = ep_info.duration
            entry["episode"] = {
                "item_type": ep[0],
                "item_id": ep[1],
                "season": season,
                "episode": number,
                "name": ep_info.name,
                "status": "up_next" if state == "n" else "in_progress",
            }
        else:
            entry["episode"] = None
        minutes = float(position or 0)
        entry["position"] = _plain(minutes)
        entry["duration"] = None if duration is None else _plain(duration)
        entry["percent"] = round(min(100.0, 100 * minutes / duration), 1) if duration else None
        entry["updated"] = ms // 1000 if ms % 1000 == 0 else ms / 1000
        shown.append(entry)
    return shown


def _decode_cursor(cursor: str) -> tuple[int, str]:
    """(ms, "<itemtype>|<itemid>") of a cursor page() gave out, or InvalidValue."""

    def member(text: str) -> str:
        item_type, _, item_id = text.partition("|")
        ids.item_type(item_type)
        ids.item_id(item_id)
        return text

    return events.decode_cursor(cursor, member)


def page(
    r, service: str, user: str, *, cursor: str | None = None, limit: int = DEFAULT_PAGE
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the user's continue-watching list, most recently active first, and the
    cursor of the next page (None at the end)."""
    ids.user_id(user)
    if not 1 <= limit <= MAX_PAGE:
        raise errors.InvalidValue(f"limit must be from 1 to {MAX_PAGE}", fields={"limit": ["out of range"]})
    after_ms, after_item = _decode_cursor(cursor) if cursor else ("", "")
    flat = _list(r, [keys.bookmarks(service, user), keys.bookmark_marks(service, user)],
                 [after_ms, after_item, limit + 1])  # fmt: skip
    found = [
        (member, int(float(ms)), stored)
        for member, ms, stored in zip(flat[0::3], flat[1::3], flat[2::3], strict=True)
        if stored
    ]
    more = len(found) > limit
    found = found[:limit]
    cursor_out = events.encode_cursor(found[-1][1], found[-1][0]) if more else None
    return _entries(r, service, found), cursor_out


def get(r, service: str, user: str, item_type: str, item_id: str) -> dict[str, Any]:
    """The bookmark of one movie or programme (or other item), or NotFound."""
    ids.user_id(user)
    _check_bookmarkable(item_type)
    ids.item_id(item_id)
    member = _member(r, service, item_type, item_id)
    stored = r.hget(keys.bookmark_marks(service, user), member)
    if not stored or stored[0] not in "wn":
        raise errors.NotFound(f"user {user} has no bookmark on {item_type}/{item_id}")
    ms = int(stored.split("\t", 2)[1])
    return _entries(r, service, [(member, ms, stored)])[0]


def dismiss(r, service: str, user: str, item_type: str, item_id: str, *, now_ms: int) -> bool:
    """Take a bookmark off the list until the user makes newer progress on it; returns
    whether there was one."""
    ids.user_id(user)
    _check_bookmarkable(item_type)
    ids.item_id(item_id)
    keys_ = [keys.bookmarks(service, user), keys.bookmark_marks(service, user)]
    return bool(_dismiss(r, keys_, [_member(r, service, item_type, item_id), now_ms]))


def _member(r, service: str, item_type: str, item_id: str) -> str:
    """The bookmark an item's is: its programme's for an episode, else its own."""
    programme = r.hget(keys.catalog_item(service, item_type, item_id), "programme")
    return f"programme|{programme}" if programme else f"{item_type}|{item_id}"
