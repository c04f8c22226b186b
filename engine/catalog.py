"""The catalogue: items (movies, programmes, episodes, sport events...) with what the rest
of the engine needs about them, and channels' programme guides.

An item is stored as its JSON text (numbers exact) with an index of a programme's episodes
(in season and episode order). Its availability offers drive notifications: every write of
an item that has offers runs the matching of engine.notifications in the same round trip.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine import errors, exactjson, ids, keys, scripts, times

MAX_TEXT = 500
MAX_LIST = 500
MAX_OFFERS = 100
MAX_SLOTS = 10_000
MAX_SOURCE_NUMBER = 10**18  # a source id given as a number
FIELDS = {
    "name", "categories", "cast", "duration", "programme_id", "season", "episode",
    "sport", "teams", "availability", "extra",
}  # fmt: skip
OFFER_FIELDS = {"source_id", "price", "hd"}
_INTEGER = re.compile(r"0|[1-9][0-9]{0,14}")  # what reads back as the same id

_put = scripts.load("put_item")
_replace_schedule = scripts.load("replace_schedule")


@dataclass(frozen=True)
class Offer:
    source_id: str
    price: int
    hd: bool


@dataclass(frozen=True)
class Item:
    """A validated catalogue item: the document as given, and what the engine reads of it."""

    item_type: str
    item_id: str
    doc: dict[str, Any]
    offers: tuple[Offer, ...]
    programme_id: str | None
    order: int | None  # season * 100000 + episode, for an episode
    tags: tuple[tuple[str, str], ...]  # (sport | team, id): what follows match


def id_value(text: str) -> int | str:
    """An id as JSON shows it: decimal integers as numbers (API.md), others as strings."""
    return int(text) if _INTEGER.fullmatch(text) else text


def _source(value: Any, where: str, problems: dict) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SOURCE_NUMBER:
        return str(value)
    if isinstance(value, str):
        try:
            return ids.item_id(value, where)
        except errors.InvalidValue as error:
            problems[where] = [error.message]
            return None
    problems[where] = [f"must be an id: a whole number from 0 to {MAX_SOURCE_NUMBER}, or a string"]
    return None


def whole_number(value: Any, maximum: int) -> int | None:
    """A JSON whole number from 0 to `maximum` as an int (5.0 is 5), else None. The range is
    checked first: 1e2000000 is a valid JSON number that int() would spend minutes on."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    if not 0 <= value <= maximum:
        return None
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return None
    return int(value)


def _whole(value: Any, where: str, problems: dict, maximum: int = 10**12) -> int | None:
    number = whole_number(value, maximum)
    if number is None:
        problems[where] = [f"must be a whole number from 0 to {maximum}"]
    return number


def offers_of(value: Any, problems: dict, where: str = "availability") -> tuple[Offer, ...]:
    """Validated offers: [{"source_id", "price" (pence or cents, >= 0), "hd"?}]."""
    if not isinstance(value, list) or len(value) > MAX_OFFERS:
        problems[where] = [f"must be an array of at most {MAX_OFFERS} offers"]
        return ()
    offers = []
    for index, offer in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(offer, dict):
            problems[at] = ["must be an object with source_id, price and hd"]
            continue
        for name in sorted(set(offer) - OFFER_FIELDS):
            problems[f"{at}.{name}"] = ["unknown field"]
        if "source_id" not in offer or "price" not in offer:
            problems[at] = ["needs source_id and price"]
            continue
        source = _source(offer["source_id"], f"{at}.source_id", problems)
        price = _whole(offer["price"], f"{at}.price", problems)
        hd = offer.get("hd", False)
        if not isinstance(hd, bool):
            problems[f"{at}.hd"] = ["must be true or false"]
        if source is not None and price is not None and isinstance(hd, bool):
            offers.append(Offer(source, price, hd))
    return tuple(offers)


def _texts(value: Any, where: str, problems: dict) -> None:
    if not isinstance(value, list) or len(value) > MAX_LIST:
        problems[where] = [f"must be an array of at most {MAX_LIST} strings"]
    elif not all(isinstance(text, str) and 0 < len(text) <= MAX_TEXT for text in value):
        problems[where] = [f"every entry must be a string of 1-{MAX_TEXT} characters"]


def _tag(value: Any, where: str, problems: dict) -> str | None:
    try:
        return ids.item_id(value, where)
    except errors.InvalidValue as error:
        problems[where] = [error.message]
        return None


def validate(item_type: str, item_id: str, doc: Any) -> Item:
    """An Item, or InvalidValue naming every problem (nothing is stored then)."""
    ids.item_type(item_type)
    ids.item_id(item_id)
    if not isinstance(doc, dict):
        raise errors.InvalidValue("an item is a JSON object")
    problems: dict[str, list[str]] = {}
    for name in sorted(set(doc) - FIELDS - {"item_type", "item_id"}):
        problems[name] = [f"unknown field (fields: {', '.join(sorted(FIELDS))}; put others under extra)"]
    for name in ("item_type", "item_id"):
        if name in doc and doc[name] != {"item_type": item_type, "item_id": item_id}[name]:
            problems[name] = ["differs from the URL"]
    if "name" in doc and not (isinstance(doc["name"], str) and 0 < len(doc["name"]) <= MAX_TEXT):
        problems["name"] = [f"must be a string of 1-{MAX_TEXT} characters"]
    for name in ("categories", "cast"):
        if name in doc:
            _texts(doc[name], name, problems)
    if "duration" in doc:
        duration = doc["duration"]
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int | Decimal)
            or not 0 <= duration <= 100_000
        ):
            problems["duration"] = ["must be a number of minutes from 0 to 100000"]
    programme = doc.get("programme_id")
    season, episode = doc.get("season"), doc.get("episode")
    if programme is not None:
        programme = _tag(programme, "programme_id", problems)
        season = _whole(season if season is not None else 0, "season", problems, 99_999)
        episode = _whole(episode, "episode", problems, 99_999) if episode is not None else None
        if episode is None and "episode" not in problems:
            problems["episode"] = ["an episode (with programme_id) needs its episode number"]
    elif season is not None or episode is not None:
        problems["programme_id"] = ["season and episode belong to an episode: give its programme_id"]
    tags = []
    if "sport" in doc:
        sport = _tag(doc["sport"], "sport", problems)
        tags.append(("sport", sport))
    if "teams" in doc:
        teams = doc["teams"]
        if not isinstance(teams, list) or len(teams) > 50:
            problems["teams"] = ["must be an array of at most 50 team ids"]
        else:
            tags += [("team", _tag(team, f"teams[{i}]", problems)) for i, team in enumerate(teams)]
    if "extra" in doc and not isinstance(doc["extra"], dict):
        problems["extra"] = ["must be an object"]
    offers = offers_of(doc.get("availability", []), problems)
    if problems:
        raise errors.InvalidValue(
            f"item {item_type}/{item_id} is not valid; nothing was stored", fields=problems
        )
    stored = {k: v for k, v in doc.items() if k not in ("item_type", "item_id")}
    order = season * 100_000 + episode if programme else None
    return Item(item_type, item_id, stored, offers, programme, order, tuple(dict.fromkeys(tags)))


def from_line(line: Any) -> Item:
    """An item from a bulk line: an object with its item_type and item_id among its fields."""
    if not isinstance(line, dict):
        raise errors.InvalidValue("a line must be a JSON object with item_type and item_id")
    missing = [name for name in ("item_type", "item_id") if name not in line]
    if missing:
        raise errors.InvalidValue(
            f"a line needs {' and '.join(missing)}", fields={name: ["is required"] for name in missing}
        )
    return validate(line["item_type"], line["item_id"], line)


def item_json(item_type: str, item_id: str, text: str) -> str:
    """The item as the API shows it: its type and id, then the stored document."""
    head = f'{{"item_type":{exactjson.dumps(item_type)},"item_id":{exactjson.dumps(item_id)}'
    return head + ("," + text[1:] if text != "{}" else "}")


#: The document's lists of names that sections are built on (seed 002: Category,
#: BecauseYouActor), each indexed: name -> the items that have it.
FACETS = ("categories", "cast")


def facets_of(doc: dict[str, Any]) -> dict[str, list[str]]:
    """The item's facet values (each once), by facet."""
    return {facet: list(dict.fromkeys(doc.get(facet) or ())) for facet in FACETS}


def _facet_text(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")) if values else ""


def queue_put(batch: scripts.Batch, service: str, item: Item, *, now_ms: int) -> int:
    """Queue the item's write (with its place among its programme's episodes and in the
    facet indexes) on `batch`; returns the position of the reply: [1 created | 0 replaced,
    the programme, categories and cast it had]."""
    position = len(batch)
    duration = item.doc.get("duration")
    facets = facets_of(item.doc)
    args = [
        exactjson.dumps(item.doc),
        item.programme_id or "",
        now_ms,
        item.doc.get("name", ""),
        "" if duration is None else exactjson.dumps(duration),
        "" if item.order is None else item.order,
        *(_facet_text(facets[facet]) for facet in FACETS),
    ]
    batch.script(_put, [keys.catalog_item(service, item.item_type, item.item_id)], args)
    member = f"{item.item_type}|{item.item_id}"
    if item.programme_id:
        batch.raw("ZADD", keys.episodes(service, item.programme_id), item.order, member)
    for facet, values in facets.items():
        for value in values:
            batch.raw("ZADD", keys.facet(service, facet, value), now_ms, member)
    return position


def leave_old_places(r, service: str, moves: list[tuple[Item, list[str]]]) -> None:
    """Drop items from the episodes of the programmes they left and from the facet indexes
    of the values they lost (`moves`: each item with queue_put's reply; rarely a second
    round trip)."""
    pipe = r.pipeline(transaction=False)
    for item, (_, programme, *before) in moves:
        member = f"{item.item_type}|{item.item_id}"
        if programme and programme != item.programme_id:
            pipe.zrem(keys.episodes(service, programme), member)
        now = facets_of(item.doc)
        for facet, text in zip(FACETS, before, strict=True):
            for value in set(json.loads(text) if text else ()) - set(now[facet]):
                pipe.zrem(keys.facet(service, facet, value), member)
    if pipe:
        pipe.execute()


def reindex(r, service: str, *, batch_size: int = 500) -> int:
    """Give the service's items stored before the category and cast indexes existed their
    place in them (and the fields sections read); returns how many items needed it. Run
    once after upgrading; running it again finds nothing to do."""
    prefix, suffix = keys.catalog_item(service, "", "").split("||", 1)
    done = 0
    found = list(r.scan_iter(match=keys.catalog_item(service, "*", "*"), count=1000))
    for first in range(0, len(found), batch_size):
        chunk = found[first : first + batch_size]
        pipe = r.pipeline(transaction=False)
        for key in chunk:
            pipe.hmget(key, "doc", "updated_ms", *FACETS)
        pipe_out = r.pipeline(transaction=False)
        for key, (doc, updated, *facets) in zip(chunk, pipe.execute(), strict=True):
            if doc is None or all(text is not None for text in facets):
                continue
            item_type, _, item_id = key[len(prefix) + 1 : -len(suffix)].partition("|")
            values = facets_of(exactjson.loads(doc))
            member = f"{item_type}|{item_id}"
            for facet in FACETS:  # NX: a write since the read has put its own
                pipe_out.hsetnx(key, facet, _facet_text(values[facet]))
            for facet in FACETS:
                for value in values[facet]:
                    pipe_out.zadd(keys.facet(service, facet, value), {member: int(updated or 0)})
            done += 1
        if pipe_out:
            pipe_out.execute()
    return done


def get(r, service: str, item_type: str, item_id: str) -> str | None:
    """The item's JSON text as the API shows it, or None."""
    ids.item_type(item_type)
    ids.item_id(item_id)
    text = r.hget(keys.catalog_item(service, item_type, item_id), "doc")
    return item_json(item_type, item_id, text) if text is not None else None


def offers_in(text: str | None) -> tuple[Offer, ...]:
    """The offers of a stored document (none when there is no document)."""
    if text is None:
        return ()
    return offers_of(exactjson.loads(text).get("availability", []), {})


def delete(r, service: str, item_type: str, item_id: str) -> bool:
    """Remove an item (and its place among its programme's episodes); False if absent."""
    ids.item_type(item_type)
    ids.item_id(item_id)
    key = keys.catalog_item(service, item_type, item_id)
    programme, *facets = r.hmget(key, "programme", *FACETS)
    if programme is None:
        return False
    member = f"{item_type}|{item_id}"
    pipe = r.pipeline(transaction=False)
    if programme:
        pipe.zrem(keys.episodes(service, programme), member)
    for facet, text in zip(FACETS, facets, strict=True):
        for value in json.loads(text) if text else ():
            pipe.zrem(keys.facet(service, facet, value), member)
    pipe.delete(key)
    return bool(pipe.execute()[-1])


# Programme guides


@dataclass(frozen=True)
class Slot:
    start_ms: int
    end_ms: int
    item_type: str
    item_id: str


def validate_schedule(channel: str, doc: Any, *, now_ms: int) -> list[Slot]:
    """The guide's slots, or InvalidValue: each {"start", "end", "item_type", "item_id"},
    in start order, no two overlapping, each ending after it starts."""
    ids.item_id(channel, "channel id")
    if not isinstance(doc, dict) or set(doc) - {"slots"} or not isinstance(doc.get("slots"), list):
        raise errors.InvalidValue(
            'a programme guide is {"slots": [{"start", "end", "item_type", "item_id"}]}'
        )
    if len(doc["slots"]) > MAX_SLOTS:
        raise errors.InvalidValue(f"at most {MAX_SLOTS} slots")
    problems: dict[str, list[str]] = {}
    slots: list[Slot] = []
    future = now_ms + 400 * 86_400_000  # guides run ahead of time: up to a good year
    for index, raw in enumerate(doc["slots"]):
        at = f"slots[{index}]"
        if not isinstance(raw, dict) or set(raw) != {"start", "end", "item_type", "item_id"}:
            problems[at] = ["must be an object with exactly start, end, item_type and item_id"]
            continue
        try:
            start = times.parse(raw["start"], now_ms=future, field=f"{at}.start")
            end = times.parse(raw["end"], now_ms=future, field=f"{at}.end")
            ids.item_type(raw["item_type"], f"{at}.item_type")
            ids.item_id(raw["item_id"], f"{at}.item_id")
        except errors.InvalidValue as error:
            problems.update(error.fields or {at: [error.message]})
            continue
        if end <= start:
            problems[at] = ["ends before it starts"]
        elif slots and start < slots[-1].end_ms:
            problems[at] = ["overlaps the slot before it, or is out of order"]
        else:
            slots.append(Slot(start, end, raw["item_type"], raw["item_id"]))
    if problems:
        raise errors.InvalidValue(
            f"the guide of channel {channel} is not valid; nothing was stored", fields=problems
        )
    return slots


def put_schedule(r, service: str, channel: str, doc: Any, *, now_ms: int) -> list[Slot]:
    """Replace the channel's programme guide, at once."""
    slots = validate_schedule(channel, doc, now_ms=now_ms)
    members = [
        part for s in slots for part in (s.start_ms, f"{s.start_ms}|{s.end_ms}|{s.item_type}|{s.item_id}")
    ]
    _replace_schedule(r, [keys.schedule(service, channel)], members)
    return slots


def get_schedule(r, service: str, channel: str) -> list[Slot] | None:
    """The channel's guide in start order, or None when it has none."""
    ids.item_id(channel, "channel id")
    members = r.zrange(keys.schedule(service, channel), 0, -1)
    if not members:
        return None
    slots = []
    for member in members:
        start, end, item_type, item_id = member.split("|", 3)
        slots.append(Slot(int(start), int(end), item_type, item_id))
    return slots
