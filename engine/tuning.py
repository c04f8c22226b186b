"""A service's own numeric settings (bookmarks, recommendations): checked against their
ranges, stored as a JSON object of the overrides, read back with the defaults under them."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from engine import errors


def in_force(defaults: Mapping[str, float], stored: str | None) -> dict[str, float]:
    """The settings in force: the defaults with the stored overrides on top."""
    return {**defaults, **(json.loads(stored) if stored else {})}


def check(
    doc: Any,
    limits: Mapping[str, tuple[float, float]],
    *,
    what: str,
    whole: Collection[str] = (),
) -> dict[str, float]:
    """The overrides in `doc` (a JSON object of setting -> number within its limits; those
    named in `whole` whole numbers), or InvalidValue naming every bad setting."""
    if not isinstance(doc, dict):
        raise errors.InvalidValue(f"{what} are a JSON object with {', '.join(limits)}")
    problems: dict[str, list[str]] = {}
    checked: dict[str, float] = {}
    for name, value in doc.items():
        if name not in limits:
            problems[name] = [f"unknown setting (settings: {', '.join(limits)})"]
            continue
        low, high = limits[name]
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            problems[name] = ["must be a number"]
        elif not (math.isfinite(float(value)) and low <= float(value) <= high):  # before int(): 1e999999
            problems[name] = [f"must be from {low:g} to {high:g}"]
        elif name in whole and value != int(value):
            problems[name] = ["must be a whole number"]
        else:
            checked[name] = int(value) if name in whole or isinstance(value, int) else float(value)
    if problems:
        raise errors.InvalidValue(f"some {what} are not valid", fields=problems)
    return checked
