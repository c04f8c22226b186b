"""Seed 003: bulk user activity, PUT/GET /metax/3.0/ui/user/stat/<subscriber_id>."""

from __future__ import annotations

from flask import Blueprint, request
from marshmallow import Schema, fields

from api import auth, body
from api.context import redis, service, state
from api.errors import ApiError
from api.openapi import operation
from api.reply import json_response
from engine import activity
from engine.clock import now_ms

bp = Blueprint("activity", __name__, url_prefix="/metax/3.0/ui/user/stat")
auth.protect(bp, bearer=True)

BODY_LIMIT = 4 * 1024 * 1024


class ViewData(Schema):
    asset_id = fields.String(required=True)
    play_count = fields.Integer()
    view_time = fields.Integer(metadata={"description": "Seconds watched."})
    pause_time = fields.Integer(metadata={"description": "Resume point, seconds (feeds bookmarks)."})
    last_played_on = fields.Integer(metadata={"description": "Unix time, milliseconds."})
    user_rating = fields.Float(metadata={"description": "0 to 5 (feeds the rated event)."})


class Activity(Schema):
    user_id = fields.String()
    favorites = fields.List(fields.String(), metadata={"description": "The watchlist; [] erases it."})
    view_data = fields.List(fields.Nested(ViewData))


IS_DELTA = {
    "name": "isDelta",
    "schema": {"type": "boolean", "default": True},
    "description": "true: change only what the body names; false: replace the whole history.",
}
BEARER = {
    "name": "Authorization",
    "required": True,
    "schema": {"type": "string"},
    "description": "Bearer <API key>",
}


def _is_delta() -> bool:
    raw = request.args.get("isDelta", "true").lower()
    if raw not in ("true", "false"):
        raise ApiError(
            400, "invalid_value", "isDelta must be true or false", fields={"isDelta": ["not a boolean"]}
        )
    return raw == "true"


@bp.put("/<id:subscriber>/")
@operation(
    "Upload a subscriber's activity: favorites, viewing data, ratings.",
    body=Activity,
    query=(IS_DELTA,),
    headers=(BEARER,),
    responses={
        200: ("The activity as now stored.", Activity),
        413: ("Over 4 MiB.", "Error"),
        415: ("Not application/json.", "Error"),
    },
)
def put_activity(subscriber: str):
    """All or nothing: an unknown field, a wrong type, a rating outside 0-5 or a negative time
    refuses the whole upload (400) and changes nothing."""
    delta = _is_delta()
    upload = body.json_object(BODY_LIMIT)
    log_max = state().settings.event_log_max
    activity.ingest(redis(), service(), subscriber, upload, delta=delta, now_ms=now_ms(), log_max=log_max)
    return json_response(activity.read(redis(), service(), subscriber))


@bp.get("/<id:subscriber>/")
@operation("A subscriber's stored activity.", headers=(BEARER,), responses={200: ("The activity.", Activity)})
def get_activity(subscriber: str):
    """Favorites (the watchlist, newest first) and per-asset viewing data with the rating."""
    return json_response(activity.read(redis(), service(), subscriber))
