"""Recommendations (seed 000 "Item-item similarity", "Recommended items for a user"): item
similarity learnt from every event as it arrives, per-user recommendations, similar items
and what is popular now.

Learning. An event counts for recommendations when its weight (config/weights/,
`recommendations`; a rating times its weight) is positive. The first such event on an
item makes the item one of the user's: it then co-occurs with the user's `history` newest
items, each pair counting 1/sqrt(n) for a user with n items (a user who watches everything
says less about each pair). A repeated event, or a second positive event on the item, adds
nothing. Per item, the counts keep its most co-occurring items (4-8x the neighbour cap)
and a neighbour list keeps the `neighbours` most similar:

    similarity(i, j) = co-occurrence(i, j) / (users(i) * sqrt(users(j)))

(an asymmetric cosine that favours items fewer users had; chosen on MovieLens by
`tanktop eval movielens`, README "Recommendation quality"). The user's own keys change in
one script; the items' keys, in their own slots, in one pipelined round trip after it.

Recommending. A user's affinity for an item is the sum of the weights of the user's events
on it, each halved every `half_life_days` before the user's latest event: last week
counts more than last year. Hidden items and dislikes have negative affinity and push
their neighbours down. An item's score is the sum over the user's items of affinity x
similarity; seen, hidden, rated and in-progress items never come back (watchlisted ones
only when asked), and users with too little history get what is popular.

What is popular now: engine/popularity.py.
"""

from __future__ import annotations

import heapq
import itertools
import json
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from engine import errors, events, ids, keys, learning, popularity, scripts, tuning, weights

DEFAULTS: dict[str, float] = {"neighbours": 100, "half_life_days": 90, "history": 200}
_LIMITS = {"neighbours": (10, 1000), "half_life_days": (1, 3650), "history": (10, 1000)}
_WHOLE = frozenset({"neighbours", "history"})

SIMILARITY_EXPONENT = 0.5  # users(j) ** this divides a neighbour's co-occurrence
USER_EXPONENT = 0.5  # a pair of a user with n items counts 1 / n ** this
DAY_MS = 86_400_000

#: Lists whose items are never recommended: the user has them (or refused them).
EXCLUDED = frozenset({"seen", "hide", events.RATING, events.PROGRESS})
WATCHLIST = "watchlist"
MAX_LIMIT = popularity.MAX_LIMIT
DEFAULT_LIMIT = popularity.DEFAULT_LIMIT
BECAUSE = 3  # the user's items named per recommendation
PAIRS_AT_ONCE = 200_000  # new pairs held in memory before they are stored
#: Pairs stored per round trip (about a millisecond of Redis: the requests sharing it wait
#: no longer than that behind the learner)
LINES_PER_TRIP = 100
BULK_LINES_PER_TRIP = 20_000  # unpaced (imports, the evaluation): fewer, bigger round trips

_mark = scripts.load("mark_positive")
_pairs = scripts.load("add_pairs")
_release = scripts.load("release_users")


# Settings


def config(r, service: str) -> dict[str, float]:
    """The recommendation settings in force: the defaults with the service's own on top."""
    return tuning.in_force(DEFAULTS, r.get(keys.rec_config(service)))


def put_config(r, service: str, doc: Any) -> dict[str, float]:
    """Replace the service's own settings (absent ones fall back to the defaults)."""
    checked = tuning.check(doc, _LIMITS, what="recommendation settings", whole=_WHOLE)
    r.set(keys.rec_config(service), json.dumps(checked))
    forget_settings()
    return {**DEFAULTS, **checked}


class Settings(NamedTuple):
    weights: dict[str, float]  # event -> recommendation weight
    config: dict[str, float]


#: service -> (monotonic expiry, Settings, weights.changes when read): the event path
#: reads them for every event; a weights change in this process is seen at once.
_settings: dict[str, tuple[float, Settings, int]] = {}
SETTINGS_SECONDS = 5.0


def forget_settings() -> None:
    """Empty this process's caches of settings and known item types (tests; after a
    change in this process)."""
    _settings.clear()
    _read.clear()
    popularity.forget()


def settings(r, service: str) -> Settings:
    """The weights and settings in force, as of at most SETTINGS_SECONDS ago."""
    now = time.monotonic()
    cached = _settings.get(service)
    if cached is not None and cached[0] > now and cached[2] == weights.changes:
        return cached[1]
    pipe = r.pipeline(transaction=False)
    pipe.get(keys.weights(service))
    pipe.get(keys.rec_config(service))
    own_weights, own_config = pipe.execute()
    table = {**weights.DEFAULTS["recommendations"]}
    table.update(json.loads(own_weights).get("recommendations", {}) if own_weights else {})
    found = Settings(table, tuning.in_force(DEFAULTS, own_config))
    if len(_settings) > 10_000:
        _settings.clear()
    _settings[service] = (now + SETTINGS_SECONDS, found, weights.changes)
    return found


def weight_of(table: dict[str, float], event: str, value: str) -> float:
    """What one event adds to the user's affinity for its item."""
    weight = table.get(event, 0.0)
    if not weight:
        return 0.0
    if event == events.RATING:
        return weight * float(value)
    return weight


# Learning


def member(item_type: str, item_id: str) -> str:
    return f"{item_type}|{item_id}"


def split(text: str) -> tuple[str, str]:
    item_type, _, item_id = text.partition("|")
    return item_type, item_id


def apply(
    r, service: str, made: Sequence[events.Event], *, log_max: int = events.LOG_MAX, log: bool = True
) -> list[bool]:
    """events.apply, marking the positive events for learning in the same round trip (the
    users' item sets and pending lists change with their lists; engine/learning.py makes
    the pairs)."""
    if not made:
        return []
    batch = scripts.Batch(r)
    positions = events.queue(batch, service, made, log_max=log_max, log=log)
    marks = queue_marks(r, batch, service, made)
    results = batch.execute()
    noted(service, marks)
    return events.applied(made, positions, results)


def mark(r, service: str, made: Sequence[events.Event]) -> None:
    """Mark the positive events of `made`, stored already, for learning: one round trip."""
    batch = scripts.Batch(r)
    marks = queue_marks(r, batch, service, made)
    if len(batch):
        batch.execute()
        noted(service, marks)


#: Called by the learning after each of its round trips with the seconds it took.
Pause = Callable[[float], None]


def queue_marks(r, batch: scripts.Batch, service: str, made: Sequence[events.Event]) -> list[str]:
    """Queue on `batch`, after the events' own scripts, a mark_positive call per (user, list)
    with positive events in `made` (in their order), then each such user's place in a learn
    queue, and the registration of item types new to this process. Returns those item
    types: pass them to noted() once the batch ran."""
    found = settings(r, service)
    by_list: dict[tuple[str, str, str], list[events.Event]] = {}
    for e in made:
        if not e.delete and weight_of(found.weights, e.event, e.value) > 0:
            by_list.setdefault((e.user, e.item_type, e.event), []).append(e)
    for (user, item_type, event), group in by_list.items():
        lines = "".join(f"{e.item}\t{e.ms}\n" for e in group)
        batch.script(
            _mark,
            [
                keys.rec_history(service, user),
                keys.event_times(service, user, item_type, event),
                keys.learn_pending(service, user),
            ],
            [item_type, lines],
        )
    for user in dict.fromkeys(user for user, _, _ in by_list):
        learning.queue_user(batch, service, user)
    item_types = list(dict.fromkeys(item_type for _, item_type, _ in by_list))
    return popularity.queue_register(batch, service, item_types)


def noted(service: str, item_types: Sequence[str]) -> None:
    """After queue_marks' batch ran: remember the item types it registered."""
    popularity.noted(service, item_types)


def learn_pending(
    r, service: str, found: Settings, pending: Sequence[learning.Pending], pause: Pause | None = None
) -> int:
    """Make the pairs, users counts and popularity of users' pending items (taken by
    engine/learning.py); returns how many items were learnt. `pause`, when given, is called
    after each round trip with the seconds it took."""
    history = int(found.config["history"])
    cap = int(found.config["neighbours"])
    pairs: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    new_items: dict[str, int] = defaultdict(int)
    popular: dict[str, list[str]] = defaultdict(list)
    pending_pairs, learnt = 0, 0
    for taken in pending:
        count = taken.count
        recent: deque[str] = deque(taken.recent, maxlen=history)
        for this, ms in taken.new:
            count += 1
            share = count**-USER_EXPONENT
            for other in recent:
                pairs[this][other] += share
                pairs[other][this] += share
            pending_pairs += len(recent)
            recent.appendleft(this)
            new_items[this] += 1
            item_type, item_id = split(this)
            popular[item_type].append(f"{item_id}\t{ms}\t1\n")
            learnt += 1
            if pending_pairs >= PAIRS_AT_ONCE:  # a big batch: bounded memory, in several round trips
                _store_pairs(r, service, pairs, new_items, popular, cap, pause)
                pairs.clear()
                new_items.clear()
                popular.clear()
                pending_pairs = 0
    if new_items:
        _store_pairs(r, service, pairs, new_items, popular, cap, pause)
    return learnt


def _store_pairs(
    r,
    service: str,
    pairs: dict[str, dict[str, float]],
    new_items: dict[str, int],
    popular: dict[str, list[str]],
    cap: int,
    pause: Pause | None = None,
) -> None:
    others = sorted({other for targets in pairs.values() for other in targets})
    known = r.hmget(keys.item_users(service), others) if others else []
    # each item's divisor (its users with this batch's), formatted once: a line is
    # "<other>\t<share>\t<divisor>\n"
    tails = {
        other: f"\t{max(int(users or 0) + new_items.get(other, 0), 1) ** SIMILARITY_EXPONENT!r}\n"
        for other, users in zip(others, known, strict=True)
    }
    # in round trips of about LINES_PER_TRIP pairs: Redis serves other clients between them
    batch, lines_queued = scripts.Batch(r), 0
    for item, added in new_items.items():
        batch.raw("HINCRBY", keys.item_users(service), item, added)
    for target, targets in pairs.items():
        item_type, item_id = split(target)
        lines = "".join([f"{other}\t{share!r}{tails[other]}" for other, share in targets.items()])
        batch.script(
            _pairs,
            [keys.cooccurrence(service, item_type, item_id), keys.neighbours(service, item_type, item_id)],
            [cap, lines],
        )
        lines_queued += len(targets)
        if lines_queued >= (LINES_PER_TRIP if pause is not None else BULK_LINES_PER_TRIP):
            started = time.monotonic()
            batch.execute()
            if pause is not None:
                pause(time.monotonic() - started)
            batch, lines_queued = scripts.Batch(r), 0
    popularity.queue_add(batch, service, popular)
    batch.execute()
    popularity.noted(service, list(popular))
    forget_neighbours(service, pairs)  # this process's copies of the changed items are stale
    forget_neighbours(service, new_items)


def forget_user(r, service: str, items: Sequence[tuple[str, float]]) -> None:
    """A purged user's items ("<itemtype>|<itemid>", ms of the first positive event, from
    the user's history, deleted already) no longer count the user: the users counts and
    popularity take the user back (one round trip). Co-occurrence cannot be taken back
    exactly (what a pair added depended on the user's history then) and stays, anonymous."""
    if not items:
        return
    batch = scripts.Batch(r)
    batch.script(_release, [keys.item_users(service)], ["".join(f"{this}\n" for this, _ in items)])
    taken_back: dict[str, list[str]] = defaultdict(list)
    for this, ms in items:
        item_type, item_id = split(this)
        taken_back[item_type].append(f"{item_id}\t{int(ms)}\t-1\n")
    popularity.queue_add(batch, service, taken_back)
    batch.execute()


# Reading


class Pick(NamedTuple):
    item_type: str
    item_id: str
    score: float
    because: list[tuple[str, str]]
    basis: str  # "similar" | "popular"


def similar(r, service: str, item_type: str, item_id: str, *, limit: int = DEFAULT_LIMIT,
            of_type: str | None = None) -> list[Pick]:  # fmt: skip
    """The items most similar to one item, best first (of `of_type` only, when given)."""
    ids.item_id(item_id)
    popularity.check_limit(limit)
    if of_type is not None:
        ids.item_type(of_type)
    popularity.check_type(r, service, item_type)
    this = member(item_type, item_id)
    pipe = r.pipeline(transaction=False)
    pipe.hget(keys.item_users(service), this)
    popularity.queue_scored(pipe, keys.neighbours(service, item_type, item_id), 0, -1)
    users, found = pipe.execute()
    if users is None:
        raise errors.NotFound(f"no user has had {item_type}/{item_id} yet")
    picks = []
    for other, score in popularity.scored(found):
        other_type, other_id = split(other)
        if of_type is None or other_type == of_type:
            picks.append(Pick(other_type, other_id, score / int(users), [], "similar"))
            if len(picks) == limit:
                break
    return picks


#: (service, member) -> (monotonic expiry, users count (at least 1), {neighbour: similarity
#: before normalisation}, best first): what recommendations and section rows read of an
#: item, kept for NEIGHBOURS_SECONDS. Similarity moves slowly (and the learning job runs a
#: second behind anyway), while reading and parsing ~100 scored entries per basis item is
#: most of a recommendation's cost. At most NEIGHBOURS_KEPT items (about 10 KiB each),
#: oldest out.
_read: dict[tuple[str, str], tuple[float, int, dict[str, float]]] = {}
NEIGHBOURS_SECONDS = 30.0
NEIGHBOURS_KEPT = 4096


def forget_neighbours(service: str | None = None, members=()) -> None:
    """Drop this process's copies of the items' neighbour lists (all, without arguments)."""
    if service is None:
        _read.clear()
    for this in members:
        _read.pop((service, this), None)


def neighbour_lists(r, service: str, members: Sequence[str]) -> dict[str, tuple[int, dict[str, float]]]:
    """Each member's users count and neighbours (member -> similarity, best first), from
    this process's copies when fresh, the others in one round trip."""
    found, missing = fresh_neighbours(service, members)
    if missing:
        pipe = r.pipeline(transaction=False)
        queue_neighbours(pipe, service, missing)
        found.update(keep_neighbours(service, missing, pipe.execute()))
    return found


def fresh_neighbours(service: str, members: Sequence[str]) -> tuple[dict[str, tuple[int, dict]], list[str]]:
    """What neighbour_lists() gives, of the members this process has fresh copies of; and
    the members to read (with queue_neighbours, on a pipeline of the caller's)."""
    now = time.monotonic()
    found, missing = {}, []
    for this in members:
        cached = _read.get((service, this))
        if cached is not None and cached[0] > now:
            found[this] = cached[1:]
        else:
            missing.append(this)
    return found, missing


def queue_neighbours(pipe, service: str, missing: Sequence[str]) -> None:
    """Queue the reads of the members' users counts and neighbours (1 + len(missing)
    replies, for keep_neighbours)."""
    pipe.hmget(keys.item_users(service), missing)
    for this in missing:
        popularity.queue_scored(pipe, keys.neighbours(service, *split(this)), 0, -1)


def keep_neighbours(service: str, missing: Sequence[str], replies: Sequence) -> dict[str, tuple[int, dict]]:
    """The members' entries from the replies of queue_neighbours (their first 1 +
    len(missing)), kept as this process's copies."""
    users, *lists = replies[: 1 + len(missing)]
    if len(_read) + len(missing) > NEIGHBOURS_KEPT:
        for oldest in list(itertools.islice(_read, len(_read) // 4 + len(missing))):
            del _read[oldest]
    now, intern = time.monotonic(), sys.intern  # the same few thousand item names, over and over
    found = {}
    for this, count, reply in zip(missing, users, lists, strict=True):
        neighbours = {intern(other): score for other, score in popularity.scored(reply)}
        entry = (max(int(count or 1), 1), neighbours)
        _read[service, this] = (now + NEIGHBOURS_SECONDS, *entry)
        found[this] = entry
    return found


class _Profile(NamedTuple):
    affinity: dict[str, float]  # member -> affinity (decayed to the user's latest event)
    excluded: set[str]  # members never recommended


def _profile(r, service: str, user: str, found: Settings, *, watchlist: bool) -> _Profile:
    """The user's affinities and exclusions, from the user's lists (two round trips)."""
    lists = r.smembers(keys.event_lists(service, user))
    wanted = []
    for name in sorted(lists):
        item_type, _, event = name.partition("|")
        excludes = event in EXCLUDED or (event == WATCHLIST and not watchlist)
        if found.weights.get(event) or excludes:
            wanted.append((item_type, event, excludes))
    pipe = r.pipeline(transaction=False)
    for item_type, event, _ in wanted:
        popularity.queue_scored(
            pipe, keys.event_times(service, user, item_type, event), 0, "+inf", by_score=True
        )
        if event == events.RATING:
            pipe.hgetall(keys.event_values(service, user, item_type, event))
    replies = iter(pipe.execute())
    raw: list[tuple[str, float, float]] = []  # member, weight, ms
    excluded: set[str] = set()
    for item_type, event, excludes in wanted:
        listed = popularity.scored(next(replies))
        values = next(replies) if event == events.RATING else {}
        for item, ms in listed:
            this = member(item_type, item)
            if excludes:
                excluded.add(this)
            weight = weight_of(found.weights, event, values.get(item, "0")) if event in found.weights else 0.0
            if weight:
                raw.append((this, weight, ms))
    affinity: dict[str, float] = defaultdict(float)
    if raw:
        latest = max(ms for _, _, ms in raw)
        half_life = found.config["half_life_days"] * DAY_MS
        for this, weight, ms in raw:
            affinity[this] += weight * 2 ** ((ms - latest) / half_life)
    return _Profile(dict(affinity), excluded)


def recommend(
    r,
    service: str,
    user: str,
    *,
    item_type: str | None = None,
    limit: int = DEFAULT_LIMIT,
    watchlist: bool = False,
    now_ms: int,
) -> list[Pick]:
    """The best items for the user, best first: by similarity to the user's items, then
    (when those run out, or for a user with no history) what is popular."""
    ids.user_id(user)
    popularity.check_limit(limit)
    if item_type is not None:
        ids.item_type(item_type)
    found = settings(r, service)
    profile = _profile(r, service, user, found, watchlist=watchlist)
    basis = heapq.nlargest(
        int(found.config["history"]),
        (item for item, a in profile.affinity.items() if a),
        key=lambda i: abs(profile.affinity[i]),
    )
    picks: list[Pick] = []
    if basis:
        picks = _by_similarity(r, service, basis, profile, item_type, limit)
    if len(picks) < limit:
        skip = profile.excluded | {member(p.item_type, p.item_id) for p in picks}
        types = [item_type] if item_type is not None else sorted(r.smembers(keys.rec_types(service)))
        found = popularity.top(r, service, types, limit - len(picks), skip, now_ms)
        picks += [Pick(p.item_type, p.item_id, p.score, [], "popular") for p in found]
    return picks


def _by_similarity(
    r, service: str, basis: list[str], profile: _Profile, item_type: str | None, limit: int
) -> list[Pick]:
    """The best `limit` items by the sum of affinity x similarity over the basis, each with
    the basis items that gave most (found again for those items only: the hot loop does
    nothing but add)."""
    lists = neighbour_lists(r, service, basis)
    weighted = [
        (this, profile.affinity[this] / users, neighbours)
        for this in basis
        for users, neighbours in (lists[this],)
        if neighbours
    ]
    scores: dict[str, float] = {}
    get = scores.get
    for _, weight, neighbours in weighted:
        for other, similarity in neighbours.items():
            scores[other] = get(other, 0.0) + weight * similarity
    skip = profile.excluded
    prefix = f"{item_type}|" if item_type is not None else ""
    best = heapq.nlargest(
        limit,
        (
            (s, other)
            for other, s in scores.items()
            if s > 0 and other not in skip and other.startswith(prefix)
        ),
    )
    picks = []
    for score, other in best:
        parts = ((weight * got[other], this) for this, weight, got in weighted if other in got)
        named = [split(this) for part, this in heapq.nlargest(BECAUSE, parts) if part > 0]
        picks.append(Pick(*split(other), score, named, "similar"))
    return picks
