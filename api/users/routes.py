"""User profiles (seed 000): PUT, POST (server id), PATCH/POST (merge patch), GET, DELETE."""

from __future__ import annotations

from flask import Blueprint, Response, g, request, url_for

from api import body
from api.context import redis, service
from api.errors import ApiError
from api.openapi import hidden, operation
from api.reply import no_content
from api.users import schemas
from engine import ids, profiles, users
from engine.clock import now_ms

bp = Blueprint("users", __name__)


@bp.before_request
def check_user_id():
    """A bad id in the URL is reported (after the key is checked) before anything in the body."""
    if request.view_args and "uid" in request.view_args:
        ids.user_id(request.view_args["uid"])


BODY_LIMIT = profiles.MAX_BYTES
_FOUND = {200: ("The profile.", schemas.Profile)}
_MISSING = {404: ("No active user with this id.", "Error")}
_PRECONDITION = {412: ("If-Match did not match the current ETag.", "Error")}
_CONFLICT = {409: ("Concurrent updates kept colliding (or no free id was found); retry.", "Error")}
_TOO_LARGE = {
    413: ("The body or the resulting profile is over 64 KiB.", "Error"),
    415: ("The body is not application/json.", "Error"),
}


def _profile_response(profile: profiles.Profile, status: int = 200) -> Response:
    response = Response(profile.to_json(), status=status, mimetype="application/json")
    response.set_etag(profile.etag)
    if status == 201:
        response.headers["Location"] = url_for("api.users.get_user", apikey=g.raw_api_key, uid=profile.uid)
    return response


def _if_match() -> profiles.IfMatch:
    """If-Match for the engine: None (absent), "*" (exactly that), or its strong etags."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    if value.strip() == "*":
        return "*"
    return {tag for tag in request.if_match.as_set() if tag}  # `""` parses as no tag at all


def _only_if_absent() -> bool:
    value = request.headers.get("If-None-Match")
    if value is None:
        return False
    if value.strip() == "*":
        return True
    raise ApiError(400, "invalid_header", "on a write, If-None-Match accepts only *")


@bp.put("/user/<id:uid>/")
@operation(
    "Create or replace a user's profile under your own id.",
    body=schemas.Profile,
    headers=(schemas.IF_MATCH, schemas.IF_NONE_MATCH_PUT),
    responses={
        200: ("Replaced.", schemas.Profile),
        201: ("Created.", schemas.Profile),
        **_PRECONDITION,
        **_TOO_LARGE,
    },
)
def put_user(uid: str):
    """Create the profile (201) or replace it wholly (200); a deactivated user is re-created."""
    doc = body.json_object(BODY_LIMIT)
    profile, created = profiles.put(
        redis(), service(), uid, doc, if_match=_if_match(), only_if_absent=_only_if_absent()
    )
    return _profile_response(profile, 201 if created else 200)


@bp.post("/user/")
@operation(
    "Create a user; the server chooses the id.",
    body=schemas.Profile,
    body_required=False,
    responses={
        201: ("Created; Location names the new user.", schemas.Profile),
        **_CONFLICT,
        **_PRECONDITION,
        **_TOO_LARGE,
    },
)
def create_user():
    """Create a user under a new server-chosen id (an empty body makes an empty profile)."""
    doc = body.json_object(BODY_LIMIT, required=False)
    _refuse_if_none_match()
    if "If-Match" in request.headers:
        raise ApiError(412, "precondition_failed", "If-Match cannot hold: a new user has no current profile")
    return _profile_response(profiles.create(redis(), service(), doc), 201)


def _refuse_if_none_match() -> None:
    if "If-None-Match" in request.headers:
        raise ApiError(400, "invalid_header", "If-None-Match applies only to GET and PUT; use If-Match")


def _patch(uid: str) -> Response:
    _refuse_if_none_match()
    doc = body.json_object(BODY_LIMIT)
    return _profile_response(profiles.patch(redis(), service(), uid, doc, if_match=_if_match()))


_PATCH_DOC = dict(
    body=schemas.Profile,
    headers=(schemas.IF_MATCH,),
    responses={**_FOUND, **_MISSING, **_CONFLICT, **_PRECONDITION, **_TOO_LARGE},
)


@bp.patch("/user/<id:uid>/")
@operation("Update a user's profile by JSON Merge Patch (RFC 7396).", **_PATCH_DOC)
def patch_user(uid: str):
    """Merge the body into the profile: null deletes a key, objects merge recursively."""
    return _patch(uid)


@bp.post("/user/<id:uid>/")
@operation("Update a user's profile by JSON Merge Patch (same as PATCH).", **_PATCH_DOC)
def update_user(uid: str):
    """Merge the body into the profile, exactly as PATCH does."""
    return _patch(uid)


@bp.get("/user/<id:uid>/")
@operation(
    "Get a user's profile.",
    headers=(schemas.IF_NONE_MATCH_GET, schemas.IF_MATCH),
    responses={**_FOUND, 304: ("Not modified (If-None-Match).", None), **_MISSING, **_PRECONDITION},
)
def get_user(uid: str):
    """The profile with its id, keys in sorted order; ETag for conditional requests."""
    profile = profiles.get(redis(), service(), uid)
    if profile is None:
        raise ApiError(404, "not_found", f"no active user {uid}")
    if_match = _if_match()
    if if_match is not None and if_match != "*" and profile.etag not in if_match:
        raise ApiError(412, "precondition_failed", "the profile's ETag is not one of If-Match's")
    if request.if_none_match.contains_weak(profile.etag) or request.if_none_match.star_tag:
        response = Response(status=304)
        response.set_etag(profile.etag)
        return response
    return _profile_response(profile)


@bp.delete("/user/<id:uid>/")
@operation(
    "Deactivate a user, or with purge=true erase every trace of them.",
    query=(schemas.PURGE,),
    headers=(schemas.IF_MATCH,),
    responses={204: ("Done.", None), **_MISSING, **_PRECONDITION},
)
def delete_user(uid: str):
    """Deactivate (GET then answers 404; PUT re-creates); purge=true erases (always 204)."""
    _refuse_if_none_match()
    purge = request.args.get("purge", "false").lower()
    if purge not in ("true", "false", "1", "0"):
        raise ApiError(
            400, "invalid_value", "purge must be true or false", fields={"purge": ["not a boolean"]}
        )
    if purge in ("true", "1"):
        if "If-Match" in request.headers:
            raise ApiError(400, "invalid_header", "a purge erases unconditionally: If-Match does not apply")
        users.purge(redis(), service(), uid)
    else:
        profiles.deactivate(redis(), service(), uid, now_ms=now_ms(), if_match=_if_match())
    return no_content()


@bp.route("/user/<path:rest>", methods=["GET", "PUT", "POST", "PATCH", "DELETE"])
@hidden
def user_id_with_slash(rest: str):
    """A user id cannot hold '/': explain rather than answer a bare 404."""
    raise ApiError(
        400,
        "invalid_value",
        "user id must be 1-32 characters of letters, digits and . _ @ + -; it cannot contain '/'",
        fields={"user id": ["contains '/'"]},
    )
