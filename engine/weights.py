"""Per-service event weights: how much each event counts for recommendations and for
section scores (seed 000: "we work with commercial users to tune the parameters").

A service overrides any default and may weigh its own event names; events with no weight
count for nothing. `rated` is multiplied by the rating, so dislikes (negative ratings)
push items down.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from engine import errors, ids, keys

#: The defaults, documented in the README (Event weights).
DEFAULTS: dict[str, dict[str, float]] = {
    # Affinity a user gains for an item (and, through similarity, for items like it).
    "recommendations": {
        "watchlist": 2.0,
        "seen": 3.0,
        "rated": 1.0,  # times the rating
        "progress": 1.0,
        "start": 0.5,
        "hide": -5.0,
    },
    # How far one event moves a section instance's score (seed 002, "Events and Scoring").
    "sections": {
        "watchlist": 3.0,
        "detail": 1.0,
        "rated": 1.0,  # times the rating
        "seen": 2.0,
        "consumed": 5.0,
        "hide": -3.0,
        "displayed": -0.2,
    },
}
LIMIT = 100.0


def _check(doc: Any) -> dict[str, dict[str, float]]:
    if not isinstance(doc, dict):
        raise errors.InvalidValue("weights are a JSON object")
    unknown = sorted(set(doc) - set(DEFAULTS))
    if unknown:
        raise errors.InvalidValue(
            f"weights have the parts {', '.join(DEFAULTS)}, not {', '.join(unknown)}",
            fields={name: ["unknown part"] for name in unknown},
        )
    checked: dict[str, dict[str, float]] = {}
    problems: dict[str, list[str]] = {}
    for part, table in doc.items():
        if not isinstance(table, dict):
            problems[part] = ["must be an object of event name -> number"]
            continue
        checked[part] = {}
        for event, weight in table.items():
            where = f"{part}.{event}"
            try:
                ids.event_name(event, where)
            except errors.InvalidValue as error:
                problems[where] = [error.message]
                continue
            if isinstance(weight, bool) or not isinstance(weight, int | float | Decimal):
                problems[where] = ["must be a number"]
            elif not (math.isfinite(float(weight)) and -LIMIT <= float(weight) <= LIMIT):
                problems[where] = [f"must be from {-LIMIT:g} to {LIMIT:g}"]
            elif weight and abs(weight) < 1e-6:
                problems[where] = ["must be 0, or at least 0.000001 in size"]
            else:
                checked[part][event] = int(weight) if isinstance(weight, int) else float(weight)
    if problems:
        raise errors.InvalidValue("some weights are not valid", fields=problems)
    return checked


def overrides(r, service: str) -> dict[str, dict[str, float]]:
    """The service's own weights (no defaults)."""
    stored = r.get(keys.weights(service))
    return json.loads(stored) if stored else {}


def effective(r, service: str) -> dict[str, dict[str, float]]:
    """The weights in force: the defaults, with the service's overrides on top."""
    own = overrides(r, service)
    return {part: {**table, **own.get(part, {})} for part, table in DEFAULTS.items()}


#: Weights this process has changed: caches of the weights compare it (others expire).
changes = 0


def put(r, service: str, doc: Any) -> dict[str, dict[str, float]]:
    """Replace the service's overrides with `doc`; returns the weights now in force."""
    global changes
    checked = _check(doc)
    r.set(keys.weights(service), json.dumps(checked))
    changes += 1
    return {part: {**table, **checked.get(part, {})} for part, table in DEFAULTS.items()}
