"""Reading a request's JSON body: content type, size, UTF-8 and exact numbers."""

from __future__ import annotations

from typing import Any

from flask import request

from api.errors import ApiError
from engine import exactjson
from engine.errors import EngineError

JSON_TYPES = ("application/json", "application/merge-patch+json")
NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/jsonlines")
BLANK = object()  # a blank NDJSON line


def is_json(mimetype: str) -> bool:
    return mimetype in JSON_TYPES or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def check_json_content_type() -> None:
    mimetype = request.mimetype
    if not is_json(mimetype):
        shown = mimetype or "none"
        raise ApiError(415, "unsupported_media_type", f"Content-Type must be application/json (got {shown})")
    charset = request.mimetype_params.get("charset")
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_media_type", f"JSON must be UTF-8 (got charset={charset})")


def raw(limit: int) -> bytes:
    """The body's bytes, refusing more than `limit` and compressed bodies."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower() or "identity"
    if encoding != "identity":
        raise ApiError(415, "unsupported_media_type", f"Content-Encoding {encoding} is not accepted")
    length = request.content_length
    if length is not None and length > limit:
        raise ApiError(413, "too_large", f"the body has {length} bytes; at most {limit} are allowed")
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "too_large", f"the body has more than {limit} bytes; at most {limit} are allowed")
    return data


def json_object(limit: int, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object (numbers exact). No body at all is `{}` unless required."""
    data = raw(limit)
    if not data and not required:
        return {}
    if not data:
        raise ApiError(400, "invalid_json", "a JSON object body is required (Content-Type: application/json)")
    check_json_content_type()
    try:
        value = exactjson.loads(data)
    except exactjson.JSONError as error:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(value), "a number"
        )
        raise ApiError(400, "invalid_json", f"the body must be a JSON object, not {kind}")
    return value


def batch_lines(limit: int, what: str) -> list[Any]:
    """A batch body (a JSON array, or NDJSON) as a list of parsed lines: a line that is not
    JSON stays its error, a blank NDJSON line is BLANK (it keeps the numbering)."""
    data = raw(limit)
    mimetype = request.mimetype
    if mimetype in NDJSON_TYPES:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ApiError(400, "invalid_json", f"the body is not valid UTF-8 (byte {error.start})") from None
        lines: list[Any] = []
        for line in text.split("\n"):
            if not line.strip():
                lines.append(BLANK)  # nothing, but it keeps the numbering of the lines after it
                continue
            try:
                lines.append(exactjson.loads(line))
            except exactjson.JSONError as error:
                lines.append(error)
        while lines and lines[-1] is BLANK:
            lines.pop()
        return lines
    check_json_content_type()
    try:
        parsed = exactjson.loads(data)
    except exactjson.JSONError as error:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {error}") from None
    if not isinstance(parsed, list):
        raise ApiError(400, "invalid_json", f"the body must be a JSON array of {what}, or NDJSON")
    return parsed


def line_problem(index: int, error: EngineError) -> dict[str, Any]:
    """How a batch reports one refused line: its 0-based index, the message, the fields."""
    return {"index": index, "error": error.message, **({"fields": error.fields} if error.fields else {})}
