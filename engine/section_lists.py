"""Section lists (seed 002): which rows a user's home page shows, in what order, with what
in them, and how the user's section events move them.

Instances. Each definition (engine/sections.py) makes instances for a user: one for URL,
Watchlist and CurrentlyWatching; for a type with a basis, up to `count`, one per basis:
BecauseYouWatched the user's newest positive items (by their first positive event),
Category the categories and BecauseYouActor the cast members that come most often among
the user's RECENT newest positive items (catalogue `categories` and `cast`). An instance
gets its id (a whole number, unique in the service, so `section/<id>/` finds its user)
the first time it is shown, and keeps it for that user, definition and basis.

Order. An instance's score is its definition's weight plus its boost. Section events (item
type `section`, the instance id as item id) move the boost by their weight (config/weights/
`sections`; a rating times its weight); the boost halves every `half_life_days` towards 0,
reckoned at read time, so an idle user costs nothing. The periodic job
workers.jobs.compact_section_boosts rewrites boosts as of now and drops faded ones.
Unpinned instances go in decreasing score; a definition with weight -n pins its instances
to slot n (-1 the first).

Rows. Rows are filled in display order, each with up to `items_per_section` items that no
row above it has: similar items for BecauseYouWatched, the category's or actor's items most
users have had, the watchlist newest first, the continue-watching list. Items the user has
seen or hidden never appear (nor rated or started ones in the three rows of new things).
A dynamic row left with no items is left out, and the next instance takes its slot.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple
from urllib.parse import quote

from engine import (
    errors,
    events,
    exactjson,
    ids,
    keys,
    popularity,
    recommend,
    scripts,
    sections,
    tuning,
    weights,
)
from engine.catalog import id_value

ITEM_TYPE = "section"  # the item type of section events
DEFAULTS: dict[str, float] = {"half_life_days": 14, "items_per_section": 20}
_LIMITS = {"half_life_days": (0.01, 3650), "items_per_section": (1, 100)}
_WHOLE = frozenset({"items_per_section"})
DAY_MS = 86_400_000
RECENT = 100  # the user's newest positive items that bases are chosen from
SPARE = 2  # bases looked at past `count`, for when rows come out empty
FACET_ITEMS = 2000  # a category's or actor's newest catalogue items that a row ranks
LIST_READ = 2000  # a user's list read whole up to this; a longer one is asked about items
FADED = 0.001  # a boost smaller than this is dropped by compaction
#: Lists whose items the rows of new things (similar, category, actor) leave out.
HAD = ("seen", "hide", events.RATING, events.PROGRESS)
BASIS_TYPE = {"Category": "category", "BecauseYouActor": "actor"}  # BecauseYouWatched: the item's
FACET = {"Category": "categories", "BecauseYouActor": "cast"}

_assign = scripts.load("assign_section_ids")
_record = scripts.load("record_section_events")
_compact = scripts.load("compact_section_boosts")
_unlist = scripts.load("unlist_boosted")


# Settings


def config(r, service: str) -> dict[str, float]:
    """The section settings in force: the defaults with the service's own on top."""
    return tuning.in_force(DEFAULTS, r.get(keys.section_config(service)))


def put_config(r, service: str, doc: Any) -> dict[str, float]:
    """Replace the service's own settings (absent ones fall back to the defaults)."""
    checked = tuning.check(doc, _LIMITS, what="section settings", whole=_WHOLE)
    r.set(keys.section_config(service), json.dumps(checked))
    _settings.pop(service, None)
    return {**DEFAULTS, **checked}


class Settings(NamedTuple):
    weights: dict[str, float]  # section event -> how far it moves a boost
    half_life_ms: float
    items: int


#: service -> (monotonic expiry, Settings, weights.changes when read).
_settings: dict[str, tuple[float, Settings, int]] = {}
SETTINGS_SECONDS = 5.0


def settings(r, service: str) -> Settings:
    """The weights and settings in force, as of at most SETTINGS_SECONDS ago."""
    now = time.monotonic()
    cached = _settings.get(service)
    if cached is not None and cached[0] > now and cached[2] == weights.changes:
        return cached[1]
    pipe = r.pipeline(transaction=False)
    pipe.get(keys.weights(service))
    pipe.get(keys.section_config(service))
    own_weights, own_config = pipe.execute()
    table = {**weights.DEFAULTS["sections"]}
    table.update(json.loads(own_weights).get("sections", {}) if own_weights else {})
    found = tuning.in_force(DEFAULTS, own_config)
    made = Settings(table, found["half_life_days"] * DAY_MS, int(found["items_per_section"]))
    if len(_settings) > 10_000:
        _settings.clear()
    _settings[service] = (now + SETTINGS_SECONDS, made, weights.changes)
    return made


def forget_settings() -> None:
    """Empty this process's caches (tests; after a change in this process)."""
    _settings.clear()
    _known_services.clear()
    _described.clear()
    _ranked.clear()


def decayed(boost: float, since_ms: float, now_ms: int, half_life_ms: float) -> float:
    """A boost of `since_ms` as of `now_ms`."""
    return boost * 2 ** ((since_ms - now_ms) / half_life_ms) if now_ms > since_ms else boost


# Section events


def _no_instance(user: str, instance_id: str) -> errors.NotFound:
    return errors.NotFound(
        f"user {user} has no section instance {instance_id} (ids come from GET sectionlist/user/{user}/)",
        fields={"item_id": ["no such section instance for this user"]},
    )


def record(
    r, service: str, made: Sequence[events.Event], *, log_max: int = events.LOG_MAX
) -> dict[int, errors.EngineError]:
    """Store section events (item type `section`; records move their instance's boost,
    deletions only leave the list); returns those refused (by index; nothing of them is
    stored): an instance id the user was never given, or whose definition is gone. Two
    round trips."""
    if not made:
        return {}
    found = settings(r, service)
    users = sorted({e.user for e in made})
    pipe = r.pipeline(transaction=False)
    _queue_definitions(pipe, service)
    for user in users:
        asked = sorted({e.item for e in made if e.user == user})
        pipe.hmget(keys.section_instances(service, user), [f"i:{item}" for item in asked])
    stored, epochs, *mapped = pipe.execute()
    live = {d.token for d in _definitions(stored, epochs)}
    instances = {}
    for user, replies in zip(users, mapped, strict=True):
        asked = sorted({e.item for e in made if e.user == user})
        instances.update({(user, item): text for item, text in zip(asked, replies, strict=True)})
    refused: dict[int, errors.EngineError] = {}
    by_list: dict[tuple[str, str], list[tuple[int, events.Event]]] = {}
    for index, e in enumerate(made):
        text = instances[e.user, e.item]
        if text is None:
            refused[index] = _no_instance(e.user, e.item)
        elif "|".join(text.split("|", 3)[:3]) not in live:
            refused[index] = errors.NotFound(
                f"section instance {e.item}'s definition was deleted or changed type",
                fields={"item_id": ["its section definition was deleted or changed type"]},
            )
        else:
            by_list.setdefault((e.user, e.event), []).append((index, e))
    if not by_list:
        return refused
    batch = scripts.Batch(r)
    boosted = {user for (user, event), group in by_list.items()
               if found.weights.get(event) and any(not e.delete for _, e in group)}  # fmt: skip
    now = max(e.ms for e in made)
    for user in sorted(boosted):  # first: boosts the job does not know of are never left behind
        # GT: an event moves the due time, so the job never unlists a user it boosted meanwhile
        batch.raw("ZADD", keys.section_boosted(service), "GT", int(now + found.half_life_ms), user)
    if boosted and service not in _known_services:
        batch.raw("SADD", keys.section_services(), service)
    first = len(batch)
    for (user, event), group in by_list.items():
        lines = "".join(f"{'-' if e.delete else '+'}\t{e.item}\t{e.ms}\t{e.value}\n" for _, e in group)
        weight = found.weights.get(event, 0)
        batch.script(
            _record,
            [*events.list_keys(service, user, ITEM_TYPE, event), keys.section_instances(service, user),
             keys.section_boosts(service, user)],
            [f"{ITEM_TYPE}|{event}", weight, int(event == events.RATING), found.half_life_ms, lines],
        )  # fmt: skip
    kept = [e for group in by_list.values() for _, e in group]
    events.queue_log(batch, service, kept, log_max, True)
    results = batch.execute()
    if boosted:
        _known_services.add(service)
    for group, done in zip(by_list.values(), results[first:], strict=False):
        for (index, e), result in zip(group, done, strict=True):
            if result == -1:  # the user was purged between the two round trips
                refused[index] = _no_instance(e.user, e.item)
    return refused


#: Services known to be in keys.section_services() already.
_known_services: set[str] = set()


# Building a user's list


class _Def(NamedTuple):
    id: str
    order: int
    type: str
    weight: float
    count: int
    name: str
    url: str | None
    epoch: str  # the deletion count when its type last changed ("0": never)

    @property
    def token(self) -> str:
        """What its instances' keys start with: a deleted or retyped one matches no more."""
        return f"{self.id}|{self.type}|{self.epoch}"


class _Candidate(NamedTuple):
    definition: _Def
    rank: int  # of the basis among the definition's
    basis: tuple[str, str] | None  # (basis type, basis id)
    key: str  # "<def id>|<def type>|<def epoch>|<basis type>|<basis id>"

    @property
    def pinned(self) -> bool:
        return self.definition.weight < 0


def _key(definition: _Def, basis: tuple[str, str] | None) -> str:
    basis_type, basis_id = basis or ("", "")
    return f"{definition.token}|{basis_type}|{basis_id}"


class Shown(NamedTuple):
    """One instance as the API shows it, with the items of its row (None: a URL section)."""

    id: str
    definition: _Def
    basis: tuple[str, str] | None
    basis_name: str | None
    score: float
    items: list[tuple[str, str]] | None

    def view(self, user: str, section_url: str) -> dict[str, Any]:
        d = self.definition
        basis = None
        if self.basis is not None:
            basis_type, basis_id = self.basis
            basis = {"item_type": basis_type, "item_id": id_value(basis_id) if basis_type not in
                     BASIS_TYPE.values() else basis_id}  # fmt: skip
        name = d.name.replace("{0}", self.basis_name) if self.basis_name is not None else d.name
        url = d.url.replace("{0}", quote(user, safe="")) if d.url is not None else f"{section_url}{self.id}/"
        score = self.score if not d.weight < 0 else d.weight
        return {"id": int(self.id), "type": d.type, "score": _plain(score), "basis": basis, "name": name,
                "url": url}  # fmt: skip


def _plain(number: float) -> int | float:
    number = round(number, 6)
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _definitions(stored: dict[str, str], epochs: dict[str, str]) -> list[_Def]:
    found = []
    for order, def_id in enumerate(sorted(stored, key=int)):
        doc = exactjson.loads(stored[def_id])
        found.append(_Def(def_id, order, doc["type"], float(doc["weight"]), int(doc["count"]), doc["name"],
                          doc.get("url"), epochs.get(def_id, "0")))  # fmt: skip
    return found


def _queue_definitions(pipe, service: str) -> None:
    """The definitions' reads (two replies, for _definitions)."""
    pipe.hgetall(keys.section_defs(service))
    pipe.hgetall(keys.section_def_epochs(service))


class _User(NamedTuple):
    """What one user's rows are built from."""

    had: set[str]  # "<type>|<id>" of items seen, hidden, rated, started or watchlisted
    dismissed: set[str]  # seen or hidden
    hidden: set[str]
    watchlist: list[str]  # newest first
    watching: list[str]  # continue watching, most recent first
    recent: list[str]  # positive items, newest first (not hidden)
    watched: list[str]  # of those, the ones seen, rated or started
    names: dict[str, str]  # item -> catalogue name
    facets: dict[str, dict[str, list[str]]]  # item -> facet -> values
    big: list[tuple[str, str]]  # (item type, event) of lists read in part (the newest)


def _mark(member: str, event: str, had: set[str], dismissed: set[str], hidden: set[str]) -> None:
    """Note that the user's list `event` holds `member`."""
    had.add(member)
    if event in ("seen", "hide"):
        dismissed.add(member)
    if event == "hide":
        hidden.add(member)


def _split(member: str) -> tuple[str, str]:
    item_type, _, item_id = member.partition("|")
    return item_type, item_id


class Built(NamedTuple):
    shown: list[Shown]
    wanted: Shown | None  # the instance asked for, shown or not


#: What sections read of catalogue items (name, categories, cast), kept a little while per
#: process: a list would otherwise read the user's RECENT items each time.
#: (service, "<itemtype>|<itemid>") -> (monotonic expiry, name or None, facet -> values).
_described: dict[tuple[str, str], tuple[float, str | None, dict[str, list[str]]]] = {}
DESCRIBED_SECONDS = 30.0
DESCRIBED_MAX = 100_000
#: A facet's items ranked for rows, kept as long: (service, facet, value) -> (expiry, members).
_ranked: dict[tuple[str, str, str], tuple[float, list[str]]] = {}
RANKED_MAX = 10_000


class _Reader:
    """One build: the reads for one user's list, a few pipelined round trips."""

    def __init__(self, r, service: str, user: str, now_ms: int):
        self.r, self.service, self.user, self.now_ms = r, service, user, now_ms
        self.found = settings(r, service)

    def build(self, wanted_id: str | None = None) -> Built:
        r, service, user = self.r, self.service, self.user
        self.wanted_id = wanted_id
        instances_key = keys.section_instances(service, user)
        pipe = r.pipeline(transaction=False)
        _queue_definitions(pipe, service)
        pipe.get(keys.section_def_deletions(service))
        pipe.hget(instances_key, "g")
        pipe.smembers(keys.event_lists(service, user))
        popularity.queue_scored(pipe, keys.rec_history(service, user), 0, RECENT - 1)
        popularity.queue_scored(pipe, keys.section_boosts(service, user), "-inf", "+inf", by_score=True)
        if wanted_id is not None:
            pipe.hget(instances_key, f"i:{wanted_id}")
        pipe.get(keys.section_def_ids(service))
        stored, epochs, deletions, cleaned, lists, history, boosts, *wanted_key, highest = pipe.execute()
        definitions = _definitions(stored, epochs)
        self.deletions = deletions or "0"
        if cleaned is not None and cleaned != self.deletions:
            self._clean(definitions, highest or "0")
        by_id = {d.id: d for d in definitions}
        wanted = None
        if wanted_id is not None:
            wanted = self._wanted(wanted_id, wanted_key[0], by_id)
        if not definitions:
            return Built([], None)
        extra = ["|".join(wanted.basis)] if wanted is not None and wanted.basis is not None else []
        user_data = self._user(definitions, lists, [m for m, _ in popularity.scored(history)], extra)
        candidates = self._candidates(definitions, user_data, wanted)
        rows, ids_of = self._rows_data(candidates)
        self._check_big_lists(user_data, rows)
        boost_of = self._boosts(popularity.scored(boosts), ids_of)
        return self._walk(candidates, user_data, rows, ids_of, boost_of, wanted)

    def _wanted(self, wanted_id: str, key: str | None, by_id: dict[str, _Def]) -> _Candidate:
        if key is None:
            raise errors.NotFound(f"no section instance {wanted_id}")
        def_id, def_type, epoch, basis_type, basis_id = key.split("|", 4)
        definition = by_id.get(def_id)
        if definition is None or definition.token != f"{def_id}|{def_type}|{epoch}":
            raise errors.NotFound(f"section instance {wanted_id}'s definition was deleted or changed type")
        if def_type == sections.URL:
            raise errors.NotFound(
                f"section instance {wanted_id} is a URL section: its items come from its url, "
                f"{definition.url.replace('{0}', self.user)}"
            )
        basis = (basis_type, basis_id) if def_type in sections.WITH_BASIS else None
        return _Candidate(definition, -1, basis, key)

    def _clean(self, definitions: list[_Def], highest: str) -> None:
        """Drop the user's instances of deleted definitions (after a deletion, once)."""
        found = self.found
        live = " ".join(d.token for d in definitions)
        args = [self.now_ms, found.half_life_ms, FADED, live, self.deletions, highest]
        keys_ = [
            keys.section_instances(self.service, self.user),
            keys.section_boosts(self.service, self.user),
        ]
        _, *dropped = _compact(self.r, keys_, args)
        forget_owners(self.r, self.service, dropped)

    def _user(self, definitions: list[_Def], lists: set[str], history: list[str], extra: list[str]) -> _User:
        types = {d.type for d in definitions}
        wanted_lists = []
        for name in sorted(lists):
            item_type, _, event = name.partition("|")
            if item_type != ITEM_TYPE and (event in HAD or event == "watchlist"):
                wanted_lists.append((item_type, event))
        pipe = self.r.pipeline(transaction=False)
        for item_type, event in wanted_lists:  # the newest LIST_READ, and the recent items
            key = keys.event_times(self.service, self.user, item_type, event)
            pipe.execute_command("ZRANGE", key, "+inf", 0, "BYSCORE", "REV", "LIMIT", 0, LIST_READ + 1,
                                 "WITHSCORES")  # fmt: skip
            pipe.zmscore(key, [_split(m)[1] for m in history] or ["-"])
        if "CurrentlyWatching" in types:
            pipe.zrange(keys.bookmarks(self.service, self.user), 0, 499, desc=True)
        described = history + extra if types & set(sections.WITH_BASIS) else []
        now = time.monotonic()
        cached = {m: _described.get((self.service, m)) for m in described}
        unknown = [m for m, c in cached.items() if c is None or c[0] <= now]
        for member in unknown:
            pipe.hmget(keys.catalog_item(self.service, *_split(member)), "name", *FACET.values())
        replies = iter(pipe.execute())
        had, dismissed, hidden, listed, watched = set(), set(), set(), [], set()
        big = []
        for item_type, event in wanted_lists:
            newest, of_history = popularity.scored(next(replies)), next(replies)
            if len(newest) > LIST_READ:
                big.append((item_type, event))
            found = [(f"{item_type}|{item}", ms) for item, ms in newest[:LIST_READ]]
            found += [
                (m, ms)
                for m, ms in zip(history, of_history, strict=False)  # ["-"] stood for no history
                if ms is not None and ms >= 0 and _split(m)[0] == item_type
            ]
            for member, ms in found:
                if event == "watchlist":
                    listed.append((ms, member))
                    continue
                _mark(member, event, had, dismissed, hidden)
                if event != "hide":
                    watched.add(member)
        watching = next(replies) if "CurrentlyWatching" in types else []
        if len(_described) + len(unknown) > DESCRIBED_MAX:
            _described.clear()
        for member in unknown:
            name, *texts = next(replies)
            found = {f: json.loads(t) if t else [] for f, t in zip(FACET.values(), texts, strict=True)}
            cached[member] = _described[self.service, member] = (now + DESCRIBED_SECONDS, name, found)
        names = {m: c[1] for m, c in cached.items() if c[1]}
        facets = {m: c[2] for m, c in cached.items()}
        listed.sort(reverse=True)
        watchlist = list(dict.fromkeys(m for _, m in listed))
        recent = [m for m in history if m not in hidden]
        return _User(had | set(watchlist), dismissed, hidden, watchlist, watching, recent,
                     [m for m in recent if m in watched], names, facets, big)  # fmt: skip

    def _check_big_lists(self, user: _User, rows: dict) -> None:
        """For lists too long to read whole: which items of the rows' pools are in them
        (one round trip; none when every list was read whole)."""
        if not user.big:
            return
        pool = {m for found in rows.values() for m in found} | set(user.watchlist) | set(user.watching)
        by_type: dict[str, list[str]] = {}
        for member in pool:
            by_type.setdefault(_split(member)[0], []).append(member)
        asked = [(t, e) for t, e in user.big if by_type.get(t)]
        pipe = self.r.pipeline(transaction=False)
        for item_type, event in asked:
            key = keys.event_times(self.service, self.user, item_type, event)
            pipe.zmscore(key, [_split(m)[1] for m in by_type[item_type]])
        for (item_type, event), scores in zip(asked, pipe.execute() if asked else [], strict=True):
            for member, ms in zip(by_type[item_type], scores, strict=True):
                if ms is not None and ms >= 0:
                    if event == "watchlist":
                        user.had.add(member)
                    else:
                        _mark(member, event, user.had, user.dismissed, user.hidden)

    def _candidates(
        self, definitions: list[_Def], user: _User, wanted: _Candidate | None
    ) -> list[_Candidate]:
        """Every instance that may be shown: the definitions' own, each basis type's
        count + SPARE best bases."""
        found = []
        facet_counts = {}
        for kind, facet in FACET.items():
            counts: Counter[str] = Counter()
            for member in user.recent:
                counts.update(user.facets.get(member, {}).get(facet, ()))
            facet_counts[kind] = sorted(counts, key=lambda value, c=counts: (-c[value], value))
        for d in definitions:
            if d.type not in sections.WITH_BASIS:
                found.append(_Candidate(d, 0, None, _key(d, None)))
                continue
            if d.type == "BecauseYouWatched":
                bases = [_split(m) for m in user.watched]
            else:
                bases = [(BASIS_TYPE[d.type], value) for value in facet_counts[d.type]]
            for rank, basis in enumerate(bases[: d.count + SPARE]):
                found.append(_Candidate(d, rank, basis, _key(d, basis)))
        if wanted is not None and all(c.key != wanted.key for c in found):
            found.append(wanted)
        return found

    def _rows_data(self, candidates: list[_Candidate]) -> tuple[dict, dict[str, str]]:
        """Each basis's items, best first (similar items; a facet's items by how many users
        have had them, then newest), and the candidates' ids (one or two round trips)."""
        pipe = self.r.pipeline(transaction=False)
        # similar items: the copies recommendations keep (engine/recommend.py), the rest read
        watched = list(dict.fromkeys("|".join(c.basis) for c in candidates
                                     if c.definition.type == "BecauseYouWatched"))  # fmt: skip
        similar, missing = recommend.fresh_neighbours(self.service, watched)
        if missing:
            recommend.queue_neighbours(pipe, self.service, missing)
        asked, rows, now = [], {}, time.monotonic()
        for c in candidates:
            kind = c.definition.type
            if (
                c.basis is None
                or kind == "BecauseYouWatched"
                or (kind, c.basis) in asked
                or (kind, c.basis) in rows
            ):
                continue
            cached = _ranked.get((self.service, FACET[kind], c.basis[1]))
            if cached is not None and cached[0] > now:
                rows[kind, c.basis] = cached[1]
            else:
                asked.append((kind, c.basis))
                pipe.zrange(keys.facet(self.service, FACET[kind], c.basis[1]), 0, FACET_ITEMS - 1, desc=True)
        pipe.hmget(keys.section_instances(self.service, self.user), [f"k:{c.key}" for c in candidates])
        *replies, ids = pipe.execute()
        if missing:
            similar.update(recommend.keep_neighbours(self.service, missing, replies))
            replies = replies[1 + len(missing) :]
        for this, (_, neighbours) in similar.items():
            rows["BecauseYouWatched", _split(this)] = list(neighbours)
        facets = dict(zip(asked, replies, strict=True))
        if facets:
            rows.update(self._rank(facets, now))
        return rows, {c.key: i for c, i in zip(candidates, ids, strict=True) if i}

    def _rank(self, facets: dict[tuple[str, tuple[str, str]], list[str]], now: float) -> dict:
        """Facets' items ranked by how many users have had them (newest first among equals),
        remembered a little while: they are the same for every user."""
        members = sorted({m for found in facets.values() for m in found})
        counts = dict(zip(members, self.r.hmget(keys.item_users(self.service), members), strict=True))
        if len(_ranked) + len(facets) > RANKED_MAX:
            _ranked.clear()
        ranked = {}
        for (kind, basis), found in facets.items():
            ranked[kind, basis] = sorted(found, key=lambda m: -int(counts[m] or 0))
            _ranked[self.service, FACET[kind], basis[1]] = (now + DESCRIBED_SECONDS, ranked[kind, basis])
        return ranked

    def _boosts(self, boosts, ids_of: dict[str, str]) -> dict[str, float]:
        """Instance id -> its boost now, for the candidates that have one."""
        mine = {i for i in ids_of.values()}
        wanted = [(i, float(b)) for i, b in boosts if i in mine]
        if not wanted:
            return {}
        since = self.r.hmget(keys.section_instances(self.service, self.user), [f"t:{i}" for i, _ in wanted])
        half_life = self.found.half_life_ms
        return {
            i: decayed(b, int(s) if s else self.now_ms, self.now_ms, half_life)
            for (i, b), s in zip(wanted, since, strict=True)
        }

    def _row(self, c: _Candidate, user: _User, rows, used: set[str]) -> list[str] | None:
        """The instance's items, none of `used` (None: a URL section, whose items are not ours)."""
        kind, size = c.definition.type, self.found.items
        if kind == sections.URL:
            return None
        if kind == "Watchlist":
            pool, skip = user.watchlist, user.dismissed
        elif kind == "CurrentlyWatching":
            pool, skip = user.watching, user.hidden
        elif kind == "BecauseYouWatched":
            pool, skip = rows[kind, c.basis], user.had | {f"{c.basis[0]}|{c.basis[1]}"}
        else:
            pool, skip = rows[kind, c.basis], user.had
        items = []
        for member in pool:
            if member not in skip and member not in used and not member.startswith(f"{ITEM_TYPE}|"):
                items.append(member)
                if len(items) == size:
                    break
        return items

    def _walk(self, candidates, user: _User, rows, ids_of, boost_of, wanted) -> Built:
        """The instances in display order, with their rows; then ids for those without."""

        def score(c: _Candidate) -> float:
            return c.definition.weight + boost_of.get(ids_of.get(c.key, ""), 0.0)

        listed = [c for c in candidates if c is not wanted or c.rank >= 0]
        pinned = sorted((c for c in listed if c.pinned),
                        key=lambda c: (-c.definition.weight, c.definition.order, c.rank))  # fmt: skip
        free = sorted((c for c in listed if not c.pinned),
                      key=lambda c: (-score(c), c.definition.order, c.rank))  # fmt: skip
        shown: list[tuple[_Candidate, list[str] | None]] = []
        per_def: Counter[str] = Counter()
        used: set[str] = set()
        while pinned or free:
            slot = len(shown) + 1
            take_pinned = pinned and (not free or -pinned[0].definition.weight <= slot)
            c = pinned.pop(0) if take_pinned else free.pop(0)
            if per_def[c.definition.id] >= c.definition.count:
                continue
            items = self._row(c, user, rows, used)
            if items == []:
                continue
            per_def[c.definition.id] += 1
            used.update(items or ())
            shown.append((c, items))
        wanted_row = None
        if wanted is not None and all(c.key != wanted.key for c, _ in shown):
            wanted_row = (wanted, self._row(wanted, user, rows, used))
        if wanted is not None:  # its id, even should a purge have just taken it
            ids_of.setdefault(wanted.key, self.wanted_id)
        missing = [c for c, _ in shown if c.key not in ids_of]
        if missing:
            ids_of.update(self._assign([c.key for c in missing]))

        def made(c: _Candidate, items) -> Shown:
            name = None
            if c.basis is not None:
                name = user.names.get("|".join(c.basis), c.basis[1]) if c.definition.type == \
                    "BecauseYouWatched" else c.basis[1]  # fmt: skip
            return Shown(ids_of[c.key], c.definition, c.basis, name, score(c),
                         [_split(m) for m in items] if items is not None else None)  # fmt: skip

        views = [made(c, items) for c, items in shown]
        if wanted is None:
            return Built(views, None)
        if wanted_row is None:
            return Built(views, next(v for v in views if v.id == ids_of[wanted.key]))
        return Built(views, made(*wanted_row))

    def _assign(self, instance_keys: list[str]) -> dict[str, str]:
        """Ids for instances shown for the first time (kept when they have one already):
        reserved from the service's counter, their owner noted before they are handed out."""
        r, service = self.r, self.service
        last = r.incrby(keys.section_instance_ids(service), len(instance_keys))
        reserved = list(range(last - len(instance_keys) + 1, last + 1))
        pipe = r.pipeline(transaction=False)
        for instance_id in reserved:
            pipe.hset(keys.section_owners(service, instance_id), str(instance_id), self.user)
        pipe.execute()
        pairs = [part for key, i in zip(instance_keys, reserved, strict=True) for part in (key, i)]
        given = _assign(r, [keys.section_instances(service, self.user)], [self.deletions, *pairs])
        unused = [i for i in reserved if str(i) not in given]
        if unused:  # another request gave these instances their ids first
            forget_owners(r, service, unused)
        return dict(zip(instance_keys, given, strict=True))


def forget_owners(r, service: str, instance_ids: Sequence[Any]) -> None:
    """Drop the owner records of instances that are gone."""
    if instance_ids:
        pipe = r.pipeline(transaction=False)
        for instance_id in instance_ids:
            pipe.hdel(keys.section_owners(service, int(instance_id)), str(instance_id))
        pipe.execute()


def section_list(r, service: str, user: str, *, now_ms: int) -> list[Shown]:
    """The user's section instances to show, in order (see the module's docstring)."""
    ids.user_id(user)
    return _Reader(r, service, user, now_ms).build().shown


def check_instance_id(instance_id: str) -> str:
    """The id as given out (a whole number, no other spelling), or 404."""
    if not (instance_id.isascii() and instance_id.isdecimal() and 0 < len(instance_id) <= 18) or (
        instance_id != str(int(instance_id))
    ):
        raise errors.NotFound(
            f"no section instance {instance_id} (ids are whole numbers, as sectionlist gave them)"
        )
    return instance_id


def section(r, service: str, instance_id: str, *, now_ms: int) -> tuple[str, Shown]:
    """The user of a dynamic section instance, and the instance with its items: as in the
    user's list now (an instance not in it: its items that no row in it has)."""
    check_instance_id(instance_id)
    user = r.hget(keys.section_owners(service, int(instance_id)), instance_id)
    if user is None:
        raise errors.NotFound(f"no section instance {instance_id}")
    built = _Reader(r, service, user, now_ms).build(instance_id)
    if built.wanted is None:
        raise errors.NotFound(f"section instance {instance_id}'s definition was deleted")
    return user, built.wanted


# Users and upkeep


def forget_user(r, service: str, user: str, instance_ids: Sequence[str]) -> None:
    """After a purge (the user's own keys are gone): the owner records of the user's
    instances (`instance_ids`, read before) and the user's place on the job's list."""
    forget_owners(r, service, instance_ids)
    r.zrem(keys.section_boosted(service), user)


def services_with_boosts(r) -> list[str]:
    return sorted(r.smembers(keys.section_services()))


def compact(r, service: str, *, now_ms: int, chunk: int = 500, budget_s: float = 60.0) -> int:
    """Rewrite the boosts of users due a compaction as of now, dropping faded ones and the
    instances of deleted definitions, for up to `budget_s` seconds (the next run goes on);
    returns how many users were visited. A user whose boosts are all gone leaves the job's
    list; the others come back a half-life later."""
    found = settings(r, service)
    boosted = keys.section_boosted(service)
    started, visited = time.monotonic(), 0
    while time.monotonic() - started < budget_s:
        pipe = r.pipeline(transaction=False)
        _queue_definitions(pipe, service)
        pipe.get(keys.section_def_deletions(service))
        pipe.get(keys.section_def_ids(service))
        pipe.zrange(boosted, "-inf", now_ms, byscore=True, offset=0, num=chunk, withscores=True)
        stored, epochs, deletions, highest, due = pipe.execute()
        live_text = " ".join(d.token for d in _definitions(stored, epochs))
        args = [now_ms, found.half_life_ms, FADED, live_text, deletions or "0", highest or "0"]
        for user, when in due:
            keys_ = [keys.section_instances(service, user), keys.section_boosts(service, user)]
            left, *dropped = _compact(r, keys_, args)
            forget_owners(r, service, dropped)
            if left:
                r.zadd(boosted, {user: int(now_ms + found.half_life_ms)}, xx=True)
            else:
                _unlist(r, [boosted], [user, int(when)])
        visited += len(due)
        if len(due) < chunk:
            break
    return visited
