"""Section lists (seed 002; API.md "Section lists"): commercial plan only."""

from __future__ import annotations

from flask import Blueprint, request

from api import auth, body
from api.context import redis, service
from api.errors import ApiError
from api.openapi import operation
from api.reply import json_response, no_content
from api.sections import schemas
from engine import sections

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
