from decimal import Decimal

import pytest

from engine import times
from engine.errors import InvalidValue

NOW = 1_763_800_000_000


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        (1763799000, 1763799000000),
        ("1763799000.5", 1763799000500),
        (Decimal("1763799000.1234"), 1763799000123),
        (1763799000.25, 1763799000250),
        ("0", 0),
        ("2025-11-22T08:13:20Z", 1763799200000),
        ("2025-11-22T09:13:20+01:00", 1763799200000),
        ("2025-11-22T08:13:20", 1763799200000),  # no offset: UTC
        ("2025-11-22", 1763769600000),
    ],
)
def test_unix_seconds_and_iso_8601_are_read_as_milliseconds(value, ms):
    assert times.parse(value, now_ms=NOW) == ms


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("yesterday", "not a time"),
        ("", "not a time"),
        (None, "not a time"),
        (True, "not a time"),
        ("-1", "before 1970"),
        (str(NOW // 1000 + 11 * 60), "in the future"),
        ("1e999999999999", "out of range"),
        ("NaN", "not a time"),
        ("2025-13-01", "not a time"),
        ([1], "not a time"),
    ],
)
def test_what_is_not_a_usable_time_is_refused(value, problem):
    with pytest.raises(InvalidValue) as caught:
        times.parse(value, now_ms=NOW)
    assert caught.value.fields == {"ts": [problem]}


def test_ten_minutes_ahead_is_still_accepted():
    assert times.parse(str(NOW // 1000 + 9 * 60), now_ms=NOW) == NOW + 9 * 60 * 1000


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (1763799000000, "1763799000"),
        (1763799000500, "1763799000.5"),
        (1763799000007, "1763799000.007"),
        (0, "0"),
    ],
)
def test_seconds_text_keeps_milliseconds_only_when_there_are_some(ms, text):
    assert times.seconds_text(ms) == text


@pytest.mark.parametrize(
    "text", ["2024-01-01T00:00:00\x00", "2024-01-01T00:00:00\x1f", "2024-01-01\x0bT00:00"]
)
def test_control_characters_in_a_time_are_refused(text):
    with pytest.raises(InvalidValue):
        times.parse(text, now_ms=NOW)
