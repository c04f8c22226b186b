"""Every error becomes the same JSON body, here and nowhere else:
`{"error": {"status": 400, "code": "invalid_value", "message": "...", "fields": {...}}}`."""

from __future__ import annotations

import logging
import math
import re

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import UNAVAILABLE, EngineError, RateLimited, outcome_unknown

log = logging.getLogger(__name__)

_KEY_IN_PATH = re.compile(r"^(/api/[^/]+/)[^/]+", re.IGNORECASE)
_KEY_LIKE = re.compile(r"tt_[A-Za-z0-9_\-]{16,}")  # wherever it stands, glued to anything


class ApiError(EngineError):
    """An HTTP-level refusal (authentication, plan, content type, conditional headers)."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **kwargs
    ):
        super().__init__(message, **kwargs)
        self.status = status
        self.code = code
        self.headers = headers or {}


def masked_path() -> str:
    """The request path with the API key hidden, wherever a client put it: errors and logs
    never show a key."""
    return _KEY_LIKE.sub("<apikey>", _KEY_IN_PATH.sub(r"\1<apikey>", request.path))


def retry_after(seconds: float) -> str:
    """Retry-After takes whole seconds: round up, at least 1."""
    return str(max(1, math.ceil(seconds)))


def error_body(status: int, code: str, message: str, fields=None) -> dict:
    error = {"status": status, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(status: int, code: str, message: str, fields=None, headers=None) -> Response:
    response = jsonify(error_body(status, code, message, fields))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def internal_error() -> dict:
    """The 500 for a bug, as error_response's arguments (the details stay in the log)."""
    return {
        "status": 500,
        "code": "internal_error",
        "message": "an internal error occurred; it has been logged",
    }


def unavailable_error(error: Exception) -> dict:
    """The 503 for a Redis failure (logged), as error_response's arguments."""
    log.warning("redis unavailable: %s: %s", type(error).__name__, error)
    # A write may have reached Redis before the connection failed, and certainly may have
    # after a timeout: say so. Every write but POST user/ is safe to retry.
    if outcome_unknown(error):
        code, message = "timeout", "the data store did not answer in time"
    else:
        code, message = "unavailable", "the data store is unavailable"
    message += "; a write may or may not have taken effect; retry shortly"
    return {"status": 503, "code": code, "message": message, "headers": {"Retry-After": "1"}}


def _code_of(exception: HTTPException) -> str:
    name = type(exception).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() if name != "HTTPException" else "http_error"


def _http_message(exception: HTTPException) -> str:
    if exception.code == 404:
        return f"no such resource: {request.method} {masked_path()}"
    if exception.code == 405:
        allowed = ", ".join(sorted(exception.valid_methods or []))
        return f"{request.method} is not allowed on {masked_path()}; allowed: {allowed}"
    return exception.description or exception.name


def register(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def engine_error(error: EngineError):
        headers = dict(getattr(error, "headers", {}))
        if isinstance(error, RateLimited):
            headers["Retry-After"] = retry_after(error.retry_after)
        return error_response(error.status, error.code, error.message, error.fields, headers)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return error_response(error.code or 500, _code_of(error), _http_message(error), headers=headers)

    def unavailable(error: Exception):
        return error_response(**unavailable_error(error))

    for kind in UNAVAILABLE:
        app.register_error_handler(kind, unavailable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, masked_path())
        return error_response(**internal_error())
