"""JSON answers with numbers exactly as stored (the engine keeps values as number text)."""

from __future__ import annotations

from typing import Any

from flask import Response

from engine import exactjson


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(exactjson.dumps(value), status=status, mimetype="application/json", headers=headers)


def number(text: str) -> exactjson.Number | None:
    """A stored value: number text as a JSON number, '' (no value) as null."""
    return exactjson.Number(text) if text else None


def no_content() -> Response:
    """204: nothing to say (and no Content-Type for a body that is not there)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response
