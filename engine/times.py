"""Times in: Unix seconds (integer or decimal) or ISO 8601; times out: Unix seconds.

Inside the engine a time is an integer of milliseconds since the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from engine import exactjson
from engine.errors import InvalidValue

#: How far ahead of the server's clock an event may be stamped. An event stamped in the
#: future would outrank every real event until that time comes (the newest event time wins).
MAX_FUTURE_MS = 10 * 60 * 1000


def parse(value: Any, *, now_ms: int, field: str = "ts") -> int:
    """Milliseconds since the epoch, from Unix seconds or ISO 8601 (UTC when no offset is
    given); refused before 1970 or more than ten minutes ahead of now."""
    if type(value) is int and 0 <= value <= (now_ms + MAX_FUTURE_MS) // 1000:
        return value * 1000  # the common case, whole seconds, without Decimal
    if isinstance(value, bool) or value is None:
        raise InvalidValue(f"{field} must be a time", fields={field: ["not a time"]})
    if isinstance(value, int | Decimal):
        seconds = Decimal(value)
    elif isinstance(value, float):
        seconds = Decimal(repr(value))
    elif isinstance(value, str) and exactjson.NUMBER.fullmatch(value.strip()):
        if not exactjson.in_range(value.strip()):
            raise InvalidValue(f"{field} is not a usable time", fields={field: ["out of range"]})
        seconds = Decimal(value.strip())
    elif isinstance(value, str):
        seconds = _iso_seconds(value, field)
    else:
        raise InvalidValue(f"{field} must be a time", fields={field: ["not a time"]})
    if not seconds.is_finite() or seconds.adjusted() > 12:  # past the year 33658: not a time
        raise InvalidValue(f"{field} is not a usable time", fields={field: ["out of range"]})
    try:
        ms = int((seconds * 1000).to_integral_value(rounding="ROUND_FLOOR"))
    except ArithmeticError:
        raise InvalidValue(f"{field} is not a usable time", fields={field: ["out of range"]}) from None
    if ms < 0:
        raise InvalidValue(f"{field} is before 1970", fields={field: ["before 1970"]})
    if ms > now_ms + MAX_FUTURE_MS:
        raise InvalidValue(
            f"{field} lies more than {MAX_FUTURE_MS // 60000} minutes in the future",
            fields={field: ["in the future"]},
        )
    return ms


def _iso_seconds(text: str, field: str) -> Decimal:
    try:
        if not text.isascii() or not text.isprintable():  # fromisoformat reads other scripts'
            # digits too, and overlooks a trailing NUL
            raise ValueError
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(
            f"{field} must be Unix seconds or an ISO 8601 time, not {text[:40]!r}",
            fields={field: ["not a time"]},
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // datetime.resolution
    return Decimal(micros) / 1_000_000


def seconds_text(ms: int) -> str:
    """Unix seconds as JSON number text, with the milliseconds when there are any."""
    whole, rest = divmod(ms, 1000)
    return f"{whole}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(whole)
