"""Bookmarks: continue watching (seed 000 "Bookmarks"; API.md "Bookmarks")."""

from __future__ import annotations

from flask import Blueprint, request

from api import body, params
from api.bookmarks import schemas
from api.context import redis, service
from api.openapi import operation
from api.reply import json_response, no_content
from engine import bookmarks
from engine.clock import now_ms

bp = Blueprint("bookmarks", __name__)

_LIST_QUERY = (
    {
        "name": "limit",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": bookmarks.MAX_PAGE,
            "default": bookmarks.DEFAULT_PAGE,
        },
    },
    {
        "name": "cursor",
        "schema": {"type": "string"},
        "description": "From the Link header of the page before.",
    },
)


@bp.get("/bookmark/<id:uid>/")
@operation(
    "The user's continue-watching list, most recently active first.",
    query=_LIST_QUERY,
    responses={200: ("The bookmarks; a Link header names the next page.", schemas.Bookmarks)},
)
def list_bookmarks(uid: str):
    """Movies part-way through, and programmes with the episode in progress or up next."""
    size = params.limit(bookmarks.DEFAULT_PAGE, bookmarks.MAX_PAGE)
    found, cursor = bookmarks.page(redis(), service(), uid, cursor=request.args.get("cursor"), limit=size)
    return json_response({"bookmarks": found}, headers=params.next_link(cursor, size))


@bp.get("/bookmark/<id:uid>/<id:itemtype>/<id:itemid>/")
@operation(
    "The position within a movie or programme.",
    responses={200: ("The bookmark.", schemas.Bookmark), 404: ("The user has no bookmark on it.", "Error")},
)
def get_bookmark(uid: str, itemtype: str, itemid: str):
    """For a programme, the episode in progress or, after a finished one, the next."""
    return json_response(bookmarks.get(redis(), service(), uid, itemtype, itemid))


@bp.delete("/bookmark/<id:uid>/<id:itemtype>/<id:itemid>/")
@operation(
    "Dismiss a bookmark: it stays off the list until the user makes newer progress on the item.",
    responses={204: ("Dismissed (also when there was none).", None)},
)
def dismiss_bookmark(uid: str, itemtype: str, itemid: str):
    bookmarks.dismiss(redis(), service(), uid, itemtype, itemid, now_ms=now_ms())
    return no_content()


@bp.get("/config/bookmarks/")
@operation("The bookmark settings in force.", responses={200: ("The settings.", schemas.Settings)})
def get_settings():
    """The completion threshold, the micro-play minimum and the live-session limit."""
    return json_response(bookmarks.config(redis(), service()))


@bp.put("/config/bookmarks/")
@operation(
    "Replace this service's bookmark settings.",
    body=schemas.Settings,
    responses={200: ("The settings now in force.", schemas.Settings)},
)
def put_settings():
    """Settings left out fall back to the defaults."""
    return json_response(bookmarks.put_config(redis(), service(), body.json_object(4 * 1024)))
