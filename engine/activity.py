"""Seed 003: bulk upload of a subscriber's activity (favorites, viewing data, ratings).

`favorites` is the user's watchlist of assets; `view_data[].user_rating` is the `rated`
event of the asset; `play_count`, `view_time`, `pause_time` (the resume point, for
bookmarks) and `last_played_on` are kept per asset. An asset is item type ASSET_TYPE
(the catalogue maps asset ids to its own item types once there is one).

Delta uploads (isDelta=true) change only what they name: an absent `favorites` keeps the
favorites, an empty one erases them, and an asset's absent fields keep their values.
A full upload (isDelta=false) replaces the favorites, ratings and viewing data at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine import bookmarks, errors, events, exactjson, ids, keys, scripts, times

ASSET_TYPE = "asset"
STATS = ("play_count", "view_time", "pause_time", "last_played_on")
MAX_ENTRIES = 10_000

_ingest = scripts.load("ingest_activity")


LARGEST = 2**53 - 1  # what every JSON reader holds exactly


def _whole(value: Any, where: str, problems: dict) -> int | None:
    """A whole number from 0 to LARGEST, else None and a problem noted. (Bounded before
    int() is taken: 1e5000 is a JSON number too.)"""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        problems[where] = ["must be a whole number"]
        return None
    if not 0 <= value <= LARGEST:
        problems[where] = [f"must be from 0 to {LARGEST}"]
        return None
    if value != int(value):
        problems[where] = ["must be a whole number"]
        return None
    return int(value)


def _check(upload: Any, subscriber: str, now_ms: int) -> tuple[list[str] | None, dict[str, dict[str, Any]]]:
    """(favorites or None when absent, {asset: {field: value}}) or InvalidValue naming every
    problem. Nothing is stored unless everything is right."""
    if not isinstance(upload, dict):
        raise errors.InvalidValue("the body must be a JSON object")
    problems: dict[str, list[str]] = {}
    for name in sorted(set(upload) - {"favorites", "view_data", "user_id"}):
        problems[name] = ["unknown field"]
    if "user_id" in upload and upload["user_id"] != subscriber:
        problems["user_id"] = ["differs from the subscriber id in the URL"]
    favorites = None
    if "favorites" in upload:
        favorites = upload["favorites"]
        if not isinstance(favorites, list) or len(favorites) > MAX_ENTRIES:
            problems["favorites"] = [f"must be an array of at most {MAX_ENTRIES} asset ids"]
            favorites = None
        else:
            for index, asset in enumerate(favorites):
                try:
                    ids.item_id(asset, "asset id")
                except errors.InvalidValue as error:
                    problems[f"favorites[{index}]"] = [error.message]
    views: dict[str, dict[str, Any]] = {}
    data = upload.get("view_data", [])
    if not isinstance(data, list) or len(data) > MAX_ENTRIES:
        problems["view_data"] = [f"must be an array of at most {MAX_ENTRIES} objects"]
        data = []
    for index, entry in enumerate(data):
        where = f"view_data[{index}]"
        if not isinstance(entry, dict):
            problems[where] = ["must be an object"]
            continue
        for name in sorted(set(entry) - {"asset_id", "user_rating", *STATS}):
            problems[f"{where}.{name}"] = ["unknown field"]
        asset = entry.get("asset_id")
        try:
            ids.item_id(asset, "asset_id")
        except errors.InvalidValue as error:
            problems[f"{where}.asset_id"] = [error.message]
            continue
        if asset in views:
            problems[f"{where}.asset_id"] = [f"asset {asset} appears twice"]
            continue
        fields: dict[str, Any] = {}
        for stat in STATS:
            if stat in entry:
                number = _whole(entry[stat], f"{where}.{stat}", problems)
                if number is not None and stat == "last_played_on" and number > now_ms + times.MAX_FUTURE_MS:
                    problems[f"{where}.{stat}"] = ["lies in the future"]
                fields[stat] = number
        if "user_rating" in entry:
            rating = entry["user_rating"]
            if (
                isinstance(rating, bool)
                or not isinstance(rating, int | Decimal)
                or not 0 <= rating <= 5
                or not exactjson.in_range(exactjson.dumps(rating))
            ):
                problems[f"{where}.user_rating"] = ["must be a number from 0 to 5"]
            else:
                fields["user_rating"] = exactjson.dumps(rating)
        views[asset] = fields
    if problems:
        raise errors.InvalidValue("the activity upload is not valid; nothing was stored", fields=problems)
    return (list(dict.fromkeys(favorites)) if favorites is not None else None), views


def _keys(service: str, subscriber: str) -> list[str]:
    return [
        keys.event_times(service, subscriber, ASSET_TYPE, "watchlist"),
        keys.event_values(service, subscriber, ASSET_TYPE, "watchlist"),
        keys.event_times(service, subscriber, ASSET_TYPE, "rated"),
        keys.event_values(service, subscriber, ASSET_TYPE, "rated"),
        keys.event_lists(service, subscriber),
        keys.activity_stats(service, subscriber),
    ]


def ingest(
    r, service: str, subscriber: str, upload: Any, *, delta: bool, now_ms: int, log_max: int = events.LOG_MAX
) -> None:
    """Store an activity upload, all or nothing (InvalidValue: nothing stored); the changes
    it made go to the analytics log like any event."""
    ids.user_id(subscriber, "subscriber id")
    favorites, views = _check(upload, subscriber, now_ms)
    replaced = "all" if not delta else ("favorites" if favorites is not None else "")
    stats: list[Any] = []
    ratings: list[Any] = []
    for asset, fields in views.items():
        stats += [part for stat in STATS if stat in fields for part in (f"{asset}|{stat}", fields[stat])]
        if "user_rating" in fields:
            ratings += [asset, fields["user_rating"]]
    favorites = favorites or []
    lists = [f"{ASSET_TYPE}|watchlist", f"{ASSET_TYPE}|rated"]
    args = [now_ms, *lists, replaced, len(stats) // 2, len(favorites), *stats, *favorites, *ratings]
    batch = scripts.Batch(r)
    batch.script(_ingest, _keys(service, subscriber), args)
    bookmarks.queue_plan(batch, service, _resume_points(r, service, subscriber, upload, views, now_ms))
    changes = batch.execute()[0]
    made = [
        events.Event(subscriber, event, item_type, asset, value, int(ms), op == "-")
        for op, (item_type, _, event), asset, ms, value in (
            (changes[i], changes[i + 1].partition("|"), changes[i + 2], changes[i + 3], changes[i + 4])
            for i in range(0, len(changes), 5)
        )
    ]
    events.append_log(r, service, made, log_max=log_max)


def _resume_points(
    r, service: str, subscriber: str, upload: dict[str, Any], views: dict[str, dict[str, Any]], now_ms: int
) -> dict[tuple[str, str], list[str]]:
    """The bookmarks of the upload's `pause_time`s (resume points, in seconds, as of
    `last_played_on` or now): planned like progress events, or InvalidValue when one lies
    beyond 3 times its item's duration."""
    resumed = [asset for asset, fields in views.items() if "pause_time" in fields]
    planned = [
        bookmarks.View(
            subscriber, ASSET_TYPE, asset, "p", views[asset].get("last_played_on", now_ms),
            bookmarks.minutes_text(views[asset]["pause_time"] / 60),
        )
        for asset in resumed
    ]  # fmt: skip
    if not planned:
        return {}
    _, lines, refused = bookmarks.plan(r, service, planned)
    if refused:
        where = {entry.get("asset_id"): i for i, entry in enumerate(upload["view_data"])}
        raise errors.InvalidValue(
            "the activity upload is not valid; nothing was stored",
            fields={
                f"view_data[{where[resumed[i]]}].pause_time": [error.message] for i, error in refused.items()
            },
        )
    return lines


def read(r, service: str, subscriber: str) -> dict[str, Any]:
    """What the subscriber's uploads and events amount to, in seed 003's shape."""
    ids.user_id(subscriber, "subscriber id")
    favorites_at, _, rated_at, rating_values, _, stats_key = _keys(service, subscriber)
    pipe = r.pipeline(transaction=False)
    pipe.zrevrangebyscore(favorites_at, "+inf", 0)
    pipe.zrangebyscore(rated_at, 0, "+inf")
    pipe.hgetall(rating_values)
    pipe.hgetall(stats_key)
    favorites, rated, ratings, stats = pipe.execute()
    views: dict[str, dict[str, Any]] = {}
    for field, value in stats.items():
        asset, _, stat = field.rpartition("|")
        views.setdefault(asset, {})[stat] = int(value)
    for asset in rated:
        views.setdefault(asset, {})["user_rating"] = exactjson.Number(ratings[asset])
    order = (*STATS, "user_rating")
    view_data = [
        {"asset_id": asset, **{name: views[asset][name] for name in order if name in views[asset]}}
        for asset in sorted(views)
    ]
    return {"user_id": subscriber, "favorites": favorites, "view_data": view_data}
