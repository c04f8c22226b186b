"""Query parameters: repeated ids and names, page size and cursor."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from api.errors import ApiError
from engine import events


def many(name: str, limit: int = events.MAX_IDS) -> list[str]:
    """Every value of a repeatable parameter (?id=1&id=2), at most `limit` of them."""
    values = request.args.getlist(name)
    if len(values) > limit:
        raise ApiError(
            400,
            "invalid_value",
            f"at most {limit} {name} parameters, not {len(values)}",
            fields={name: ["too many"]},
        )
    return values


def limit(default: int = events.DEFAULT_PAGE, maximum: int = events.MAX_PAGE) -> int:
    raw = request.args.get("limit")
    if raw is None:
        return default
    # the digits' length first: int() of thousands of digits is slow, and refused past 4,300
    digits = raw.lstrip("0")
    if not (raw.isascii() and raw.isdecimal() and len(digits) <= len(str(maximum))) or not (
        1 <= int(digits or "0") <= maximum
    ):
        raise ApiError(
            400,
            "invalid_value",
            f"limit must be a whole number from 1 to {maximum}",
            fields={"limit": ["out of range"]},
        )
    return int(digits)


def next_link(cursor: str | None, page_size: int) -> dict[str, str]:
    """The Link header announcing the next page, if there is one."""
    if cursor is None:
        return {}
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "limit")]
    query = urlencode([*kept, ("cursor", cursor), ("limit", page_size)])
    return {"Link": f'<{request.base_url}?{query}>; rel="next"'}
