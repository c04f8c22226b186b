"""The engine's exceptions, and the one table from Lua return codes to them."""

from __future__ import annotations

from typing import Any

import redis
from redis.exceptions import (
    ClusterError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,
    TryAgainError,
)


class EngineError(Exception):
    """A request the engine refuses; `code` is stable for clients, the message is for people."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidValue(EngineError):
    status, code = 400, "invalid_value"


class NotFound(EngineError):
    status, code = 404, "not_found"


class Conflict(EngineError):
    status, code = 409, "conflict"


class PreconditionFailed(EngineError):
    status, code = 412, "precondition_failed"


class TooLarge(EngineError):
    status, code = 413, "too_large"


class RateLimited(EngineError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


#: Errors meaning "Redis cannot be reached or cannot serve right now": the API answers 503.
UNAVAILABLE = (
    redis.ConnectionError,
    redis.TimeoutError,
    ClusterError,
    TryAgainError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterException,  # "cannot connect to the cluster", slots not covered
)


def outcome_unknown(error: Exception) -> bool:
    """After this error the command may have run: it was sent, its reply never came."""
    return isinstance(error, redis.TimeoutError)


#: Negative codes returned by Lua scripts (lua/*.lua), one meaning each.
LUA_NOT_FOUND = -1
LUA_PRECONDITION_FAILED = -2
LUA_EXISTS = -3
LUA_TOO_LARGE = -4
LUA_CHANGED = -5

_LUA_ERRORS: dict[int, tuple[type[EngineError], str]] = {
    LUA_NOT_FOUND: (NotFound, "not found"),
    LUA_PRECONDITION_FAILED: (PreconditionFailed, "the precondition (If-Match) did not hold"),
    LUA_EXISTS: (Conflict, "already exists"),
    LUA_TOO_LARGE: (TooLarge, "too large"),
    LUA_CHANGED: (Conflict, "changed concurrently; try again"),
}


def check(result: Any, messages: dict[int, str] | None = None) -> Any:
    """Return a script's result, or raise the exception its negative code stands for.

    `messages` lets the caller say what was not found / too large, in its own words.
    """
    code = result[0] if isinstance(result, list) and result else result
    if isinstance(code, int) and code < 0:
        kind, default = _LUA_ERRORS[code]
        raise kind((messages or {}).get(code, default))
    return result
