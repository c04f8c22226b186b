"""What is popular now (seed 000; API.md "Recommendations": `GET popular/<itemtype>/`), per
item type, by forward decay (Cormode et al. 2009): a user's first positive event on an item
at t adds 2^((t - L) / 7 days), L being the type's landmark. No score is ever rewritten one
by one; the periodic job `workers.jobs.move_popularity_landmarks` moves L (one ZUNIONSTORE
scaling the set) so the numbers stay small. Similarity learning (engine/recommend.py)
queues the additions with its own writes; the set of item types with data lives here too.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any, NamedTuple

from engine import errors, ids, keys, scripts

HALF_LIFE_MS = 7 * 86_400_000
MAX_LIMIT = 100
DEFAULT_LIMIT = 10

_add = scripts.load("add_popularity")
_move = scripts.load("move_landmark")

#: (service, item type) known to be in rec_types and the popularity index already.
_known_types: set[tuple[str, str]] = set()


def forget() -> None:
    """Empty this process's memory of known item types (tests)."""
    _known_types.clear()


def queue_add(batch: scripts.Batch, service: str, taken_up: dict[str, list[str]]) -> None:
    """Queue on `batch` the additions of `taken_up`: item type -> lines "<itemid>\\t<ms>\\t1\\n",
    one per user's first positive event on the item. Call noted() after the batch ran."""
    for item_type, lines in taken_up.items():
        batch.script(
            _add,
            [keys.popularity(service, item_type), keys.popularity_landmark(service, item_type)],
            [HALF_LIFE_MS, "".join(lines)],
        )
    queue_register(batch, service, list(taken_up))


def queue_register(batch: scripts.Batch, service: str, item_types: Sequence[str]) -> list[str]:
    """Queue on `batch` the registration of the item types this process does not know are
    registered (rec_types, the popularity index); returns them, for noted()."""
    new = [item_type for item_type in item_types if (service, item_type) not in _known_types]
    for item_type in new:
        batch.raw("SADD", keys.rec_types(service), item_type)
        batch.raw("SADD", keys.popularity_index(), f"{service}\t{item_type}")
    return new


def noted(service: str, item_types: Sequence[str]) -> None:
    """Remember that queue_add's batch registered these item types."""
    if len(_known_types) > 100_000:
        _known_types.clear()
    _known_types.update((service, item_type) for item_type in item_types)


# Reading


def queue_scored(pipe, key: str, start: Any, stop: Any, *, by_score: bool = False) -> None:
    """ZRANGE WITHSCORES (best first, or by score from `start` to `stop`), read with
    scored(): redis-py's own conversion of each score costs more than the whole request."""
    if by_score:
        pipe.execute_command("ZRANGE", key, start, stop, "BYSCORE", "WITHSCORES")
    else:
        pipe.execute_command("ZRANGE", key, start, stop, "REV", "WITHSCORES")


def scored(reply: list) -> Sequence[Sequence[Any]]:
    """[member, score] pairs from a WITHSCORES reply: RESP3's pairs as they are, RESP2's flat
    list (fakeredis) paired up."""
    if reply and not isinstance(reply[0], list):
        return [(reply[i], float(reply[i + 1])) for i in range(0, len(reply), 2)]
    return reply


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.InvalidValue(f"limit must be from 1 to {MAX_LIMIT}", fields={"limit": ["out of range"]})
    return limit


def check_type(r, service: str, item_type: str) -> None:
    """A 404 for an item type no user has had an item of."""
    ids.item_type(item_type)
    if not r.sismember(keys.rec_types(service), item_type):
        raise errors.NotFound(f"no events on items of type {item_type} yet")


class Popular(NamedTuple):
    item_type: str
    item_id: str
    score: float


def popular(r, service: str, item_type: str, *, limit: int = DEFAULT_LIMIT, now_ms: int) -> list[Popular]:
    """What is popular now among items of `item_type`, most popular first."""
    check_limit(limit)
    check_type(r, service, item_type)
    return top(r, service, [item_type], limit, set(), now_ms)


def top(r, service: str, item_types: Sequence[str], limit: int, skip: set[str], now_ms: int) -> list[Popular]:
    """The `limit` most popular items of `item_types` not in `skip` ("<itemtype>|<itemid>"),
    in one round trip (or, should the job move a landmark between the reads, two)."""
    for _ in range(2):
        pipe = r.pipeline(transaction=False)
        for item_type in item_types:
            skipped = sum(1 for this in skip if this.startswith(f"{item_type}|"))
            pipe.get(keys.popularity_landmark(service, item_type))
            queue_scored(pipe, keys.popularity(service, item_type), 0, limit + skipped - 1)
            pipe.get(keys.popularity_landmark(service, item_type))  # unmoved while the scores were read
        replies = pipe.execute()
        if all(replies[i] == replies[i + 2] for i in range(0, len(replies), 3)):
            break
    found = []
    for index, item_type in enumerate(item_types):
        landmark, scores = replies[3 * index], replies[3 * index + 1]
        if landmark is None:
            continue
        scale = 2 ** ((int(landmark) - now_ms) / HALF_LIFE_MS)
        kept = 0
        for item_id, score in scored(scores):
            if f"{item_type}|{item_id}" not in skip:
                found.append(Popular(item_type, item_id, score * scale))
                kept += 1
                if kept == limit:
                    break
    return heapq.nlargest(limit, found, key=lambda p: p.score)


# The periodic job


def move_landmarks(r, *, now_ms: int) -> int:
    """Move every popularity landmark more than a half-life behind `now_ms` to it; returns
    how many moved."""
    entries = sorted(r.smembers(keys.popularity_index()))
    pipe = r.pipeline(transaction=False)
    for entry in entries:
        service, _, item_type = entry.partition("\t")
        pipe.get(keys.popularity_landmark(service, item_type))
    moved = 0
    for entry, landmark in zip(entries, pipe.execute() if entries else [], strict=True):
        service, _, item_type = entry.partition("\t")
        if landmark is not None and now_ms - int(landmark) > HALF_LIFE_MS:
            _move(
                r,
                [keys.popularity(service, item_type), keys.popularity_landmark(service, item_type)],
                [HALF_LIFE_MS, now_ms],
            )
            moved += 1
    return moved
