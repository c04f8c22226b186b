"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas.

Each view says what it takes and answers with `@operation(...)`; `build_spec` walks the
app's URL map, so a route without an operation fails tests/api/test_openapi.py.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify
from marshmallow import Schema, fields

from api.auth import plan_of

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

_ITEM = {"type": "string", "pattern": r"^[A-Za-z0-9._:\-]{1,64}$"}
_NAME = {"type": "string", "pattern": r"^[a-z0-9_]{1,32}$"}
PATH_PARAMETERS = {
    "event": ("Event name: 1-32 of a-z 0-9 _ (GET: * for every list).", {"type": "string"}),
    "itemtype": ("Item type: 1-32 of a-z 0-9 _ (movie, programme, channel, section, ...).", _NAME),
    "itemid": ("Item id: 1-64 of letters, digits and . _ : -", _ITEM),
    "channelid": ("Channel id: 1-64 of letters, digits and . _ : -", _ITEM),
    "value": ("The event's value: a number, or a time for start/end.", {"type": "string"}),
    "subscriber": ("Subscriber (user) id, e.g. an e-mail address.", {"type": "string"}),
    "section_id": ("A section definition's id, as POST sectiondef/ gave it.", {"type": "string"}),
    "instance_id": ("A section instance's id, as sectionlist/ gave it.", {"type": "string"}),
    "apikey": ("The service's API key.", {"type": "string", "pattern": r"^[A-Za-z0-9_\-]{16,128}$"}),
    "uid": (
        "User id: 1-32 characters of letters, digits and . _ @ + - (not . or ..)",
        {"type": "string", "pattern": r"^[A-Za-z0-9._@+\-]{1,32}$", "minLength": 1, "maxLength": 32},
    ),
}


class ErrorDetail(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "Stable, for programs."})
    message = fields.String(required=True, metadata={"description": "For people."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Per input field, what is wrong with it."},
    )


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class Status(Schema):
    status = fields.String(required=True)


def operation(
    summary: str,
    *,
    responses: dict[int, tuple[str, Any]],
    body: Any = None,
    body_required: bool = True,
    query: tuple[dict, ...] = (),
    headers: tuple[dict, ...] = (),
    keyed: bool = True,
):
    """Describe a view for the OpenAPI document. `responses` maps status -> (description,
    schema or None); `keyed` routes also list the errors every keyed route can answer."""

    def decorate(view):
        view.openapi = {
            "summary": summary,
            "responses": responses,
            "body": body,
            "body_required": body_required,
            "query": query,
            "headers": headers,
            "keyed": keyed,
        }
        return view

    return decorate


def hidden(view):
    """Leave a route out of the document (a catch-all that only explains a mistake)."""
    view.openapi_hidden = True
    return view


def documented_rules(app: Flask):
    """(OpenAPI path, method, view, endpoint) for every route that belongs in the document."""
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint == "static" or getattr(view, "openapi_hidden", False):
            continue
        if not hasattr(view, "openapi"):
            raise LookupError(f"route {rule.rule} ({rule.endpoint}) has no @operation")
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - SKIPPED_METHODS):
            yield path, method, view, rule.endpoint


def _error_responses(plan: str) -> dict[int, dict]:
    errors = {
        400: "Invalid input.",
        401: "Unknown or revoked API key.",
        429: "Over the key's rate limit; see Retry-After.",
        503: "The data store is unavailable; see Retry-After.",
    }
    if plan == "commercial":
        errors[403] = "The route needs a commercial-plan key."
    return {
        status: {"description": text, "content": {"application/json": {"schema": "Error"}}}
        for status, text in errors.items()
    }


def _operation(path: str, method: str, view, plan: str) -> dict:
    meta = view.openapi
    responses = {}
    for status, (description, schema) in meta["responses"].items():
        response: dict[str, Any] = {"description": description}
        if schema is not None:
            response["content"] = {"application/json": {"schema": schema}}
        responses[str(status)] = response
    if meta["keyed"]:
        for status, response in _error_responses(plan).items():
            responses.setdefault(str(status), response)
    parameters = []
    for name in re.findall(r"{([^}]+)}", path):
        description, schema = PATH_PARAMETERS[name]  # every path parameter is described here
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema, "description": description}
        )
    parameters += [{"in": "query", **query} for query in meta["query"]]
    parameters += [{"in": "header", **header} for header in meta["headers"]]
    result = {
        "summary": meta["summary"],
        "description": (view.__doc__ or "").strip(),
        "operationId": f"{view.__name__}_{method.lower()}" if method != "GET" else view.__name__,
        "parameters": parameters,
        "responses": responses,
    }
    if meta["body"] is not None:
        result["requestBody"] = {
            "required": meta["body_required"],
            "content": {"application/json": {"schema": meta["body"]}},
        }
    return result


def build_spec(app: Flask) -> dict:
    spec = APISpec(
        title="Tank Top personalisation engine",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "User profiles, events, notifications, bookmarks, recommendations "
            "and section lists for TV and video services."
        },
    )
    spec.components.schema("Error", schema=Error)
    paths: dict[str, dict[str, dict]] = {}
    for path, method, view, endpoint in documented_rules(app):
        plan = plan_of(app, endpoint)
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, view, plan)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


blueprint = Blueprint("openapi", __name__)


@blueprint.get("/api/1/openapi.json")
@operation("This OpenAPI document.", responses={200: ("The document.", None)}, keyed=False)
def openapi_document():
    """The OpenAPI 3 description of every route."""
    cached = current_app.extensions.get("openapi")
    if cached is None:
        cached = current_app.extensions["openapi"] = build_spec(current_app)
    return jsonify(cached)
