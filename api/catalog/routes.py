"""The catalogue (API.md "Catalogue"): items with their availability, and programme guides."""

from __future__ import annotations

from flask import Blueprint, Response

from api import body
from api.catalog import schemas
from api.context import redis, service, state
from api.errors import ApiError
from api.events.schemas import BatchResult
from api.openapi import operation
from api.reply import json_response, no_content
from engine import catalog, errors, exactjson, notifications
from engine.clock import now_ms
from engine.times import seconds_text

bp = Blueprint("catalog", __name__)

ITEM_BYTES = 256 * 1024
BATCH_LINES = 10_000
BATCH_BYTES = 16 * 1024 * 1024
SCHEDULE_BYTES = 4 * 1024 * 1024
_MISSING = {404: ("No such item in the catalogue.", "Error")}


def _store(items: list[catalog.Item]) -> notifications.Stored:
    """Store items, and hand the notifications they satisfy to the workers."""
    stored = notifications.put_items(redis(), service(), items, now_ms=now_ms())
    state().enqueue_deliveries(service(), stored.deliveries)
    return stored


@bp.put("/item/<id:itemtype>/<id:itemid>/")
@operation(
    "Create or replace a catalogue item.",
    body=schemas.Item,
    responses={
        201: ("Created: the item.", schemas.Item),
        200: ("Replaced: the item.", schemas.Item),
        413: ("Over 256 KiB.", "Error"),
    },
)
def put_item(itemtype: str, itemid: str):
    """Availability offers satisfy notification requests at once (webhooks follow)."""
    item = catalog.validate(itemtype, itemid, body.json_object(ITEM_BYTES))
    stored = _store([item])
    text = catalog.item_json(itemtype, itemid, exactjson.dumps(item.doc))
    return Response(text, status=201 if stored.created[0] else 200, mimetype="application/json")


@bp.get("/item/<id:itemtype>/<id:itemid>/")
@operation("A catalogue item.", responses={200: ("The item.", schemas.Item), **_MISSING})
def get_item(itemtype: str, itemid: str):
    """The item as stored, with its item_type and item_id."""
    text = catalog.get(redis(), service(), itemtype, itemid)
    if text is None:
        raise ApiError(404, "not_found", f"no item {itemtype}/{itemid} in the catalogue")
    return Response(text, mimetype="application/json")


@bp.delete("/item/<id:itemtype>/<id:itemid>/")
@operation("Remove a catalogue item.", responses={204: ("Removed.", None), **_MISSING})
def delete_item(itemtype: str, itemid: str):
    """Notification requests on it stay open: it may come back."""
    if not notifications.delete_item(redis(), service(), itemtype, itemid):
        raise ApiError(404, "not_found", f"no item {itemtype}/{itemid} in the catalogue")
    return no_content()


@bp.post("/items/")
@operation(
    "Create or replace many catalogue items: a JSON array or NDJSON of up to 10,000.",
    body=schemas.Item(many=True),
    responses={
        200: ("How many items were stored and which lines were not, and why.", BatchResult),
        413: ("Over 10,000 lines or 16 MiB.", "Error"),
    },
)
def put_items():
    """Each line is an item with its item_type and item_id. Good lines are stored even when
    others are bad; bad lines are reported by 0-based index."""
    lines = body.batch_lines(BATCH_BYTES, "items")
    count = sum(1 for line in lines if line is not body.BLANK)
    if count > BATCH_LINES:
        raise ApiError(413, "too_large", f"at most {BATCH_LINES} items per request, not {count}")
    good, problems = [], []
    for index, line in enumerate(lines):
        if line is body.BLANK:
            continue
        try:
            if isinstance(line, exactjson.JSONError):
                raise errors.InvalidValue(f"not valid JSON: {line}")
            good.append(catalog.from_line(line))
        except errors.InvalidValue as error:
            problems.append(body.line_problem(index, error))
    for start in range(0, len(good), 1000):
        _store(good[start : start + 1000])
    return json_response({"stored": len(good), "rejected": len(problems), "errors": problems})


def _schedule_json(channel: str, slots: list[catalog.Slot]) -> dict:
    return {
        "channel_id": channel,
        "slots": [
            {
                "start": exactjson.Number(seconds_text(slot.start_ms)),
                "end": exactjson.Number(seconds_text(slot.end_ms)),
                "item_type": slot.item_type,
                "item_id": slot.item_id,
            }
            for slot in slots
        ],
    }


@bp.put("/schedule/<id:channelid>/")
@operation(
    "Replace a channel's programme guide.",
    body=schemas.Schedule,
    responses={200: ("The guide as stored (times in Unix seconds).", schemas.StoredSchedule)},
)
def put_schedule(channelid: str):
    """Slots in start order, none overlapping the next, each ending after it starts; the
    whole guide is replaced at once."""
    slots = catalog.put_schedule(
        redis(), service(), channelid, body.json_object(SCHEDULE_BYTES), now_ms=now_ms()
    )
    return json_response(_schedule_json(channelid, slots))


@bp.get("/schedule/<id:channelid>/")
@operation(
    "A channel's programme guide.",
    responses={
        200: ("The guide (times in Unix seconds).", schemas.StoredSchedule),
        404: ("No guide.", "Error"),
    },
)
def get_schedule(channelid: str):
    """Every slot, in start order."""
    slots = catalog.get_schedule(redis(), service(), channelid)
    if slots is None:
        raise ApiError(404, "not_found", f"channel {channelid} has no programme guide")
    return json_response(_schedule_json(channelid, slots))
