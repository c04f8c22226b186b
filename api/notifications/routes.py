"""Notification requests (seed 000 "Notifications"): POST, three GETs, three DELETEs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, request

from api import body, params
from api.context import redis, service, state
from api.errors import ApiError
from api.notifications import schemas
from api.openapi import operation
from api.reply import json_response, no_content
from engine import events, notifications
from engine.clock import now_ms

bp = Blueprint("notifications", __name__)

BODY_BYTES = 64 * 1024
FORM = "application/x-www-form-urlencoded"
_LISTING = {200: ("The requests, newest first; a Link header names the next page.", schemas.Notifications)}
_LIST_QUERY = (
    {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
    {
        "name": "cursor",
        "schema": {"type": "string"},
        "description": "From the Link header of the page before.",
    },
)


def _form() -> dict[str, Any]:
    """A form body as {name: [values]}; source_id may also be comma-separated."""
    data = body.raw(BODY_BYTES)
    try:
        pairs = parse_qsl(
            data.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(data), max_num_fields=200
        )
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_value", "the form body is not UTF-8") from None
    except ValueError as error:
        raise ApiError(400, "invalid_value", f"the form body is not valid: {error}") from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        if name == "source_id":
            fields.setdefault(name, []).extend(part.strip() for part in value.split(",") if part.strip())
        elif value != "":  # an empty field is a field not given
            fields.setdefault(name, []).append(value)
    for name, values in fields.items():
        if name != "source_id" and len(values) > 1:
            raise ApiError(
                400, "invalid_value", f"{name} is given {len(values)} times", fields={name: ["repeated"]}
            )
    return fields


@bp.post("/notification/<id:uid>/<id:itemtype>/<id:itemid>/")
@operation(
    "Ask to be told (by webhook) when a movie or programme is available; on a sport or team, "
    "of every item of it that becomes available.",
    body=schemas.NotificationRequest,
    responses={204: ("Stored (replacing the user's earlier request on the item).", None)},
)
def request_notification(uid: str, itemtype: str, itemid: str):
    """JSON or form-encoded. When the item is available already on a suitable offer, the
    webhook is called at once."""
    form = request.mimetype == FORM
    if not form and (request.content_length or request.mimetype) and not body.is_json(request.mimetype):
        shown = request.mimetype or "none"
        raise ApiError(
            415, "unsupported_media_type", f"Content-Type must be application/json or {FORM} (got {shown})"
        )
    fields = _form() if form else body.json_object(BODY_BYTES)
    asked = notifications.validate(fields, form=form, allow_private=state().settings.webhook_allow_private)
    made = notifications.save(redis(), service(), uid, itemtype, itemid, asked, now_ms=now_ms())
    state().enqueue_deliveries(service(), made)
    return no_content()


def _listing(uid: str, itemtype: str | None = None, itemid: str | None = None):
    size = params.limit(events.DEFAULT_PAGE, notifications.MAX_PER_USER)
    shown, cursor = notifications.listing(
        redis(), service(), uid, itemtype, itemid, cursor=request.args.get("cursor"), limit=size
    )
    return json_response({"notifications": shown}, headers=params.next_link(cursor, size))


@bp.get("/notification/<id:uid>/")
@operation("The user's notification requests.", query=_LIST_QUERY, responses=_LISTING)
def list_notifications(uid: str):
    """With each request's delivery: status, attempts, last error, webhook-id."""
    return _listing(uid)


@bp.get("/notification/<id:uid>/<id:itemtype>/")
@operation("The user's notification requests on one item type.", query=_LIST_QUERY, responses=_LISTING)
def list_notifications_of_type(uid: str, itemtype: str):
    """Item types: movie, programme, sport, team."""
    return _listing(uid, itemtype)


@bp.get("/notification/<id:uid>/<id:itemtype>/<id:itemid>/")
@operation("The user's notification request on one item (a list of one, or empty).", responses=_LISTING)
def get_notification(uid: str, itemtype: str, itemid: str):
    """An empty list when there is none, as for the other listings."""
    return _listing(uid, itemtype, itemid)


_CANCELLED = {204: ("Cancelled (also when there was nothing to cancel).", None)}


@bp.delete("/notification/<id:uid>/")
@operation("Cancel all the user's notification requests.", responses=_CANCELLED)
def cancel_all(uid: str):
    """Webhooks not yet sent for them are not sent."""
    notifications.cancel(redis(), service(), uid)
    return no_content()


@bp.delete("/notification/<id:uid>/<id:itemtype>/")
@operation("Cancel the user's notification requests on one item type.", responses=_CANCELLED)
def cancel_type(uid: str, itemtype: str):
    """Webhooks not yet sent for them are not sent."""
    notifications.cancel(redis(), service(), uid, itemtype)
    return no_content()


@bp.delete("/notification/<id:uid>/<id:itemtype>/<id:itemid>/")
@operation("Cancel the user's notification request on one item.", responses=_CANCELLED)
def cancel_one(uid: str, itemtype: str, itemid: str):
    """A webhook not yet sent for it is not sent."""
    notifications.cancel(redis(), service(), uid, itemtype, itemid)
    return no_content()
