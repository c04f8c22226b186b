"""Recommendations (seed 000 "Item-item similarity", "Recommended items for a user";
API.md "Recommendations")."""

from __future__ import annotations

from flask import Blueprint, request

from api import body, params
from api.context import redis, service
from api.errors import ApiError
from api.openapi import operation
from api.recommendations import schemas
from api.reply import json_response
from engine import popularity, recommend
from engine.clock import now_ms

bp = Blueprint("recommendations", __name__)

_LIMIT = {
    "name": "limit",
    "schema": {
        "type": "integer",
        "minimum": 1,
        "maximum": recommend.MAX_LIMIT,
        "default": recommend.DEFAULT_LIMIT,
    },
}
_ITEM_TYPE = {"name": "item_type", "schema": {"type": "string"}, "description": "Only items of this type."}
_WATCHLIST = {
    "name": "watchlist",
    "schema": {"type": "string", "enum": ["include", "exclude"], "default": "exclude"},
    "description": "include: watchlisted items may be recommended too.",
}


def _watchlist() -> bool:
    raw = request.args.get("watchlist", "exclude")
    if raw not in ("include", "exclude"):
        raise ApiError(400, "invalid_value", "watchlist is include or exclude",
                       fields={"watchlist": ["not include or exclude"]})  # fmt: skip
    return raw == "include"


def _picks(picks: list[recommend.Pick], *, because: bool = True) -> dict:
    items = []
    for p in picks:
        item = {"item_type": p.item_type, "item_id": p.item_id, "score": p.score}
        if because:
            item["because"] = [{"item_type": t, "item_id": i} for t, i in p.because]
            item["basis"] = p.basis
        items.append(item)
    return {"items": items}


@bp.get("/recommend/<id:uid>/")
@operation(
    "The best items for the user, best first.",
    query=(_ITEM_TYPE, _LIMIT, _WATCHLIST),
    responses={200: ("The items, with the user's items behind each.", schemas.Picks)},
)
def recommend_for_user(uid: str):
    """By similarity to what the user did (recent events counting most); never items the
    user has seen, hidden, rated or started, nor watchlisted ones unless asked. Users with
    too little history get what is popular."""
    size = params.limit(recommend.DEFAULT_LIMIT, recommend.MAX_LIMIT)
    picks = recommend.recommend(
        redis(),
        service(),
        uid,
        item_type=request.args.get("item_type"),
        limit=size,
        watchlist=_watchlist(),
        now_ms=now_ms(),
    )
    return json_response(_picks(picks))


@bp.get("/similar/<id:itemtype>/<id:itemid>/")
@operation(
    "The items most similar to one item, most similar first.",
    query=(_ITEM_TYPE, _LIMIT),
    responses={
        200: ("The similar items.", schemas.SimilarItems),
        404: ("No user has had the item (or any item of the type) yet.", "Error"),
    },
)
def similar_items(itemtype: str, itemid: str):
    """Items the same users had, learnt from every positive event as it arrives."""
    size = params.limit(recommend.DEFAULT_LIMIT, recommend.MAX_LIMIT)
    picks = recommend.similar(
        redis(), service(), itemtype, itemid, limit=size, of_type=request.args.get("item_type")
    )
    return json_response(_picks(picks, because=False))


@bp.get("/popular/<id:itemtype>/")
@operation(
    "What is popular now among items of one type, most popular first.",
    query=(_LIMIT,),
    responses={
        200: ("The popular items.", schemas.PopularItems),
        404: ("No user has had an item of the type yet.", "Error"),
    },
)
def popular_items(itemtype: str):
    """Users taking an item up (a first positive event), each counting half as much every 7 days."""
    size = params.limit(recommend.DEFAULT_LIMIT, recommend.MAX_LIMIT)
    picks = popularity.popular(redis(), service(), itemtype, limit=size, now_ms=now_ms())
    return json_response(_picks(picks, because=False))


@bp.get("/config/recommendations/")
@operation(
    "The recommendation settings in force.",
    responses={200: ("The settings.", schemas.RecommendationSettings)},
)
def get_settings():
    """The neighbour cap, the affinity half-life and the history length."""
    return json_response(recommend.config(redis(), service()))


@bp.put("/config/recommendations/")
@operation(
    "Replace this service's recommendation settings.",
    body=schemas.RecommendationSettings,
    responses={200: ("The settings now in force.", schemas.RecommendationSettings)},
)
def put_settings():
    """Settings left out fall back to the defaults. A new neighbour cap applies to lists as
    they next change; every process uses new settings within 5 seconds."""
    return json_response(recommend.put_config(redis(), service(), body.json_object(4 * 1024)))
