"""Identifiers: what a user id, item id, item type, event name and service name may be.

Each checker returns the id unchanged or raises InvalidValue with a sentence that says
what is allowed and what was wrong, naming the field the id came from.
"""

from __future__ import annotations

import re

from engine.errors import InvalidValue


class _Kind:
    def __init__(self, label: str, maximum: int, allowed: str, description: str):
        self.label = label
        self.maximum = maximum
        self.pattern = re.compile(f"[{allowed}]{{1,{maximum}}}")
        self.description = description
        self._valid: set[str] = set()  # ids that passed lately (bulk imports repeat them)

    def __call__(self, value: object, field: str | None = None) -> str:
        if type(value) is str and value in self._valid:  # seen valid lately: no regex again
            return value
        field = field or self.label
        rule = f"1-{self.maximum} characters of {self.description}"
        if not isinstance(value, str):
            raise InvalidValue(f"{field} must be a string of {rule}", fields={field: ["not a string"]})
        if self.pattern.fullmatch(value) and value not in (".", ".."):
            if len(self._valid) >= 100_000:
                self._valid.clear()
            self._valid.add(value)
            return value
        if not value:
            problem = "is empty"
        elif value in (".", ".."):
            problem = f"is {value!r}, which URLs cannot carry"
        elif len(value) > self.maximum:
            problem = f"has {len(value)} characters"
        else:
            bad = next(c for c in value if not self.pattern.fullmatch(c))
            problem = f"contains {bad!r}"
        raise InvalidValue(f"{field} must be {rule}; this one {problem}", fields={field: [problem]})


user_id = _Kind("user id", 32, r"A-Za-z0-9._@+\-", "letters, digits and . _ @ + -")
item_id = _Kind("item id", 64, r"A-Za-z0-9._:\-", "letters, digits and . _ : -")
item_type = _Kind("item type", 32, r"a-z0-9_", "a-z, 0-9 and _")
event_name = _Kind("event name", 32, r"a-z0-9_", "a-z, 0-9 and _")
service_name = _Kind("service name", 32, r"a-z0-9_\-", "a-z, 0-9, _ and -")
