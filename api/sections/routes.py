"""Section lists (seed 002; API.md "Section lists"): definitions, users' lists, sections'
items and settings. Commercial plan only."""

from __future__ import annotations

from flask import Blueprint, g, request

from api import auth, body
from api.context import redis, service
from api.errors import ApiError
from api.openapi import operation
from api.reply import json_response, no_content
from api.sections import schemas
from engine import section_lists, sections
from engine.clock import now_ms

bp = auth.commercial(Blueprint("sections", __name__))

_BODY_LIMIT = 16 * 1024
_NOT_FOUND = {404: ("No such section definition.", "Error")}


@bp.post("/sectiondef/")
@operation(
    "Define a section.",
    body=schemas.SectionDef,
    responses={201: ("The definition, with its id.", schemas.SectionDef)},
)
def create_definition():
    """At most 100 definitions per service."""
    found = sections.create(redis(), service(), body.json_object(_BODY_LIMIT))
    return json_response(found, 201)


@bp.get("/sectiondef/")
@operation("The service's section definitions.", responses={200: ("The definitions.", schemas.SectionDefs)})
def list_definitions():
    """In the order they were made."""
    return json_response({"sectiondefs": sections.definitions(redis(), service())})


@bp.put("/sectiondef/<id:section_id>/")
@operation(
    "Replace a section definition.",
    body=schemas.SectionDef,
    responses={200: ("The definition.", schemas.SectionDef), **_NOT_FOUND},
)
def replace_definition(section_id: str):
    """Every field as in POST; an `id` in the body must be the one in the URL."""
    found = sections.replace(redis(), service(), section_id, body.json_object(_BODY_LIMIT))
    return json_response(found)


@bp.delete("/sectiondef/<id:section_id>/")
@operation("Remove a section definition.", responses={204: ("Removed.", None), **_NOT_FOUND})
def delete_definition(section_id: str):
    sections.delete(redis(), service(), section_id)
    return no_content()


@bp.delete("/sectiondef/")
@operation(
    "Remove a section definition named by `?id=` (the seed's form).",
    query=({"name": "id", "required": True, "schema": {"type": "string"}},),
    responses={204: ("Removed.", None), **_NOT_FOUND},
)
def delete_definition_by_query():
    given = request.args.getlist("id")
    if len(given) != 1 or not given[0]:
        raise ApiError(400, "invalid_value", "which definition: one ?id=", fields={"id": ["one is required"]})
    section_id = given[0]
    sections.delete(redis(), service(), section_id)
    return no_content()


def _section_url() -> str:
    """Where a dynamic instance's items are: this key's `section/` (the seed's
    "/api/1/12345/section/1001")."""
    return f"/api/1/{g.raw_api_key}/section/"


@bp.get("/sectionlist/user/<id:uid>/")
@operation(
    "The section instances to show the user, in order.",
    responses={200: ("The instances: pinned ones at their slots, the others by score.", schemas.SectionList)},
)
def section_list(uid: str):
    """Empty sections are left out; ids stay the same for the same definition and basis."""
    shown = section_lists.section_list(redis(), service(), uid, now_ms=now_ms())
    url = _section_url()
    return json_response({"sections": [s.view(uid, url) for s in shown]})


@bp.get("/section/<id:instance_id>/")
@operation(
    "The items of a dynamic section instance, for its user.",
    responses={
        200: ("The instance, with its items.", schemas.Section),
        404: ("No such instance (or a URL section: its items come from its url).", "Error"),
    },
)
def section_items(instance_id: str):
    """No item is in two rows of the user's section list; seen and hidden items never are."""
    user, shown = section_lists.section(redis(), service(), instance_id, now_ms=now_ms())
    view = shown.view(user, _section_url())
    view["user_id"] = user
    view["items"] = [{"item_type": t, "item_id": i} for t, i in shown.items or ()]
    return json_response(view)


@bp.get("/config/sections/")
@operation("The section settings in force.", responses={200: ("The settings.", schemas.SectionSettings)})
def get_settings():
    """The boosts' half-life and how many items a section has."""
    return json_response(section_lists.config(redis(), service()))


@bp.put("/config/sections/")
@operation(
    "Replace this service's section settings.",
    body=schemas.SectionSettings,
    responses={200: ("The settings now in force.", schemas.SectionSettings)},
)
def put_settings():
    """Settings left out fall back to the defaults."""
    return json_response(section_lists.put_config(redis(), service(), body.json_object(4 * 1024)))
