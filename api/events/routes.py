"""Events and personalised lists (seed 000 "User Actions and Events"; API.md "Events")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from marshmallow import ValidationError

from api import body, observe, params
from api.context import redis, service, state
from api.errors import ApiError
from api.events import schemas
from api.openapi import hidden, operation
from api.reply import json_response, no_content, number
from engine import errors, events, exactjson, intake, weights
from engine.clock import now_ms
from engine.times import seconds_text

bp = Blueprint("events", __name__)

BATCH_LINES = 10_000
BATCH_BYTES = 8 * 1024 * 1024

_NO_CONTENT = {204: ("Done (also when the event is older than the one stored).", None)}


def _log_max() -> int:
    return state().settings.event_log_max


@bp.post("/event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/")
@bp.post("/event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/<id:value>/")
@operation("Record an event, or add an item to a list.", query=(schemas.TS,), responses=_NO_CONTENT)
def record_event(uid: str, event: str, itemtype: str, itemid: str, value: str | None = None):
    """Per (user, event, item) the newest event time wins; an older event changes nothing."""
    made = events.make(uid, event, itemtype, itemid, value, request.args.get("ts"), now_ms=now_ms())
    refused = intake.record(redis(), service(), [made], log_max=_log_max())
    if refused:
        raise refused[0]
    observe.EVENTS_STORED.inc()
    return no_content()


@bp.delete("/event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/")
@operation(
    "Delete an event, or remove an item from a list.",
    query=(schemas.TS,),
    responses={**_NO_CONTENT, 404: ("A section instance the user was not given.", "Error")},
)
def delete_event(uid: str, event: str, itemtype: str, itemid: str):
    """204 even when the item was not there (a section instance must be the user's: 404);
    an event older than the deletion cannot undo it."""
    made = events.make(
        uid, event, itemtype, itemid, None, request.args.get("ts"), now_ms=now_ms(), delete=True
    )
    intake.delete(redis(), service(), made, log_max=_log_max())
    return no_content()


@bp.get("/event/<id:uid>/<id:event>/<id:itemtype>/")
@operation(
    "Which items are in a list (with ?id=...), or the whole list newest first.",
    query=(schemas.IDS, schemas.LIMIT, schemas.CURSOR),
    responses={
        200: (
            "{event: {item id: value or null}}; without ids also items, newest first, "
            "and a Link header to the next page. With event '*': every list.",
            None,
        )
    },
)
def get_events(uid: str, event: str, itemtype: str):
    """Seed 000's example to the letter: GET event/7/watchlist/movie/?id=1&id=24&id=72 answers
    {"watchlist": {"1": null, "24": null}}. Event '*' asks every list of the item type."""
    item_ids = params.many("id")
    r, svc = redis(), service()
    if event == "*":
        if not item_ids:
            raise ApiError(
                400, "invalid_value", "with event *, name the items: ?id=...", fields={"id": ["missing"]}
            )
        found = events.memberships(r, svc, uid, itemtype, item_ids)
        return json_response(
            {name: {item: number(v) for item, v in items.items()} for name, items in found.items()}
        )
    if item_ids:
        found = events.values_of(r, svc, uid, event, itemtype, item_ids)
        return json_response({event: {item: number(value) for item, value in found.items()}})
    size = params.limit()
    entries, cursor = events.page(r, svc, uid, event, itemtype, cursor=request.args.get("cursor"), limit=size)
    items = [
        {"id": e.item, "value": number(e.value), "ts": exactjson.Number(seconds_text(e.ms))} for e in entries
    ]
    listing = {event: {e.item: number(e.value) for e in entries}, "items": items}
    return json_response(listing, headers=params.next_link(cursor, size))


@bp.route("/event/<path:rest>", methods=["GET", "POST", "DELETE"])
@hidden
def event_path_explained(rest: str):
    """Explain a path that fits no event route (an id holding '/', a segment too many)."""
    raise ApiError(
        400,
        "invalid_value",
        "event paths are event/<user>/<event>/<item type>/<item id>/[<value>/] "
        "(GET: event/<user>/<event>/<item type>/); ids cannot contain '/'",
    )


def _filter(uid: str, itemtype: str, item_ids: list[str], include: list[str], exclude: list[str]) -> Response:
    passing = events.filter_items(
        redis(), service(), uid, itemtype, item_ids, include=include, exclude=exclude
    )
    return json_response({"items": passing})


@bp.get("/filter/<id:uid>/<id:itemtype>/")
@operation(
    "Personalised list: the given ids, in their order, that pass the include/exclude lists.",
    query=(schemas.IDS, schemas.INCLUDE, schemas.EXCLUDE),
    responses={200: ("The passing ids.", schemas.FilterResult)},
)
def filter_get(uid: str, itemtype: str):
    """An id passes when it is in at least one include list (if any) and in no exclude list."""
    return _filter(uid, itemtype, params.many("id"), params.many("include", 50), params.many("exclude", 50))


@bp.post("/filter/<id:uid>/<id:itemtype>/")
@operation(
    "Personalised list for long id lists: the same as GET, with a JSON body.",
    body=schemas.FilterRequest,
    responses={200: ("The passing ids.", schemas.FilterResult)},
)
def filter_post(uid: str, itemtype: str):
    """Body {"ids": [...], "include": [...], "exclude": [...]}."""
    try:
        asked = schemas.FilterRequest().load(body.json_object(1024 * 1024))
    except ValidationError as error:
        raise ApiError(
            400, "invalid_value", "the filter body is not valid", fields=_flat(error.messages)
        ) from None
    return _filter(uid, itemtype, asked["ids"], asked["include"], asked["exclude"])


def _flat(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {"a.b": ["..."]}."""
    if isinstance(messages, list):
        return {prefix or "body": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for name, inner in messages.items():
        flat.update(_flat(inner, f"{prefix}.{name}" if prefix else str(name)))
    return flat


@bp.post("/events/")
@operation(
    "Record many events: a JSON array or NDJSON of up to 10,000 lines.",
    body=schemas.EventLine(many=True),
    responses={
        200: ("How many lines were stored and which were not, and why.", schemas.BatchResult),
        413: ("Over 10,000 lines or 8 MiB.", "Error"),
    },
)
def record_batch():
    """Good lines are stored even when others are bad; bad lines are reported by 0-based index."""
    lines = body.batch_lines(BATCH_BYTES, "events")
    count = sum(1 for line in lines if line is not body.BLANK)
    if count > BATCH_LINES:
        raise ApiError(413, "too_large", f"at most {BATCH_LINES} events per request, not {count}")
    now, good, problems = now_ms(), [], []
    for index, line in enumerate(lines):
        if line is body.BLANK:
            continue
        try:
            if isinstance(line, exactjson.JSONError):
                raise errors.InvalidValue(f"not valid JSON: {line}")
            good.append((index, events.from_line(line, now_ms=now)))
        except errors.InvalidValue as error:
            problems.append(body.line_problem(index, error))
    refused = intake.record(redis(), service(), [e for _, e in good], log_max=_log_max())
    problems += [body.line_problem(good[position][0], error) for position, error in refused.items()]
    problems.sort(key=lambda problem: problem["index"])
    stored = len(good) - len(refused)
    observe.EVENTS_STORED.inc(stored)
    return json_response({"stored": stored, "rejected": len(problems), "errors": problems})


@bp.get("/config/weights/")
@operation(
    "The event weights in force (defaults with this service's own on top).",
    responses={200: ("The weights.", schemas.Weights)},
)
def get_weights():
    """How much each event counts for recommendations and for section scores."""
    return json_response(weights.effective(redis(), service()))


@bp.put("/config/weights/")
@operation(
    "Replace this service's own event weights.",
    body=schemas.Weights,
    responses={200: ("The weights now in force.", schemas.Weights)},
)
def put_weights():
    """Events left out fall back to the defaults; a weight of 0 switches an event off."""
    return json_response(weights.put(redis(), service(), body.json_object(64 * 1024)))
