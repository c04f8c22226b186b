"""Section lists (seed 002): definitions of the home-page rows a service offers.

A definition: `type` (one of TYPES), `weight` (its starting score: higher tends to stay
higher; a negative whole number pins the section to that slot, -1 the first), `count`
(how many instances a type with a basis item may make, default 1), `url` (URL sections
only: where the items come from, `{0}` standing for the user id) and `name` (shown to
users; for a type with a basis item `{0}` stands for the basis item's name). Stored per
service as JSON text in one hash, ids given out by a counter.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from engine import errors, exactjson, keys, scripts

URL = "URL"
WITH_BASIS = ("BecauseYouWatched", "Category", "BecauseYouActor")
WITHOUT_BASIS = ("Watchlist", "CurrentlyWatching")
TYPES = (URL, *WITH_BASIS, *WITHOUT_BASIS)
FIELDS = ("type", "weight", "count", "url", "name")
MAX_DEFS = 100  # definitions per service
MAX_COUNT = 20  # instances per definition
MAX_WEIGHT = 1_000_000.0
MAX_NAME = 200
MAX_URL = 2000
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|[{}]")

_create = scripts.load("create_section_def")
_replace = scripts.load("replace_section_def")
_delete = scripts.load("delete_section_def")


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def _url_shape(text: str) -> bool:
    """An http(s) URL with a host, or a path on this host ("//host/x" is another host)."""
    if text.startswith("/"):
        return not text.startswith("//")
    if not text.startswith(("http://", "https://")):
        return False
    try:
        return bool(urlsplit(text).hostname)
    except ValueError:  # a malformed port or IPv6 literal
        return False


def _template(text: Any, field: str, *, allowed: bool, limit: int, problems: dict[str, list[str]]) -> None:
    if not isinstance(text, str) or not text.strip().strip(_INVISIBLE).strip():
        problems[field] = ["must be a non-empty string"]
    elif len(text) > limit:
        problems[field] = [f"at most {limit} characters"]
    elif not text.isprintable():
        problems[field] = ["must not hold control or format characters (line breaks, NUL, bidi controls)"]
    elif field == "url" and not (text.isascii() and not any(c.isspace() for c in text) and _url_shape(text)):
        problems[field] = [
            "must be an http(s) URL with a host, or a path starting with one /, ASCII without spaces"
        ]
    else:
        others = [p for p in _PLACEHOLDER.findall(text) if p != "{0}"]
        if others:
            problems[field] = [f"the only placeholder is {{0}}, not {others[0]}"]
        elif "{0}" in text and not allowed:
            problems[field] = ["{0} has nothing to stand for in this section type"]


def validate(doc: Any, *, replacing: bool = False) -> dict[str, Any]:
    """A definition from a request body, or InvalidValue naming every bad field (an `id`
    is allowed when `replacing`, the caller checks it)."""
    if not isinstance(doc, dict):
        raise errors.InvalidValue(f"a section definition is a JSON object with {', '.join(FIELDS)}")
    problems: dict[str, list[str]] = {}
    for name in doc:
        if name not in FIELDS and not (name == "id" and replacing):
            problems[name] = [f"unknown field (fields: {', '.join(FIELDS)}; the id is given by the server)"]
    kind = doc.get("type")
    if kind not in TYPES:
        problems["type"] = [f"must be one of {', '.join(TYPES)}"]
    weight = doc.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int | float | Decimal):
        problems["weight"] = ["must be a number"]
    elif not (
        exactjson.in_range(exactjson.dumps(weight)) and abs(Decimal(exactjson.dumps(weight))) <= MAX_WEIGHT
    ):
        problems["weight"] = [f"must be 0 or from 1e-300 in size up to {MAX_WEIGHT:,.0f} either way"]
    elif weight < 0 and weight != int(weight):
        problems["weight"] = ["a negative weight pins to a slot: a whole number (-1 the first slot)"]
    count = doc.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int | Decimal):
        problems["count"] = ["must be a whole number"]
    elif not 1 <= float(count) <= MAX_COUNT:  # before int(): 1e999999999
        problems["count"] = [f"must be from 1 to {MAX_COUNT}"]
    elif count != int(count):
        problems["count"] = ["must be a whole number"]
    elif count != 1 and kind in TYPES and kind not in WITH_BASIS:
        problems["count"] = [f"only {', '.join(WITH_BASIS)} sections make more than one instance"]
    url = doc.get("url")
    if kind == URL:
        if url is None:
            problems["url"] = ["a URL section needs a url"]
        else:
            _template(url, "url", allowed=True, limit=MAX_URL, problems=problems)
    elif url is not None and kind in TYPES:
        problems["url"] = ["only URL sections take a url (the others' is made for each instance)"]
    if "name" not in doc:
        problems["name"] = ["is required"]
    else:
        _template(doc["name"], "name", allowed=kind in WITH_BASIS, limit=MAX_NAME, problems=problems)
    if problems:
        raise errors.InvalidValue("the section definition is not valid", fields=problems)
    found = {"type": kind, "weight": weight, "count": int(count), "name": doc["name"]}
    if kind == URL:
        found["url"] = url
    return found


def _text(section_id: str, definition: dict[str, Any]) -> str:
    return exactjson.dumps({"id": section_id, **definition})


def create(r, service: str, doc: Any) -> dict[str, Any]:
    """Store a new definition; answers it with its id."""
    definition = validate(doc)
    new_id = _create(
        r, [keys.section_defs(service), keys.section_def_ids(service)], [_text("@ID@", definition), MAX_DEFS]
    )
    if new_id == -1:
        raise errors.InvalidValue(f"a service has at most {MAX_DEFS} section definitions")
    return {"id": str(new_id), **definition}


def _check_id(section_id: str) -> str:
    """The id as given out (no leading zeros, no other spelling), or 404 (400 when empty)."""
    if not section_id:
        raise errors.InvalidValue("which definition: sectiondef/<id>/", fields={"id": ["missing"]})
    if not (section_id.isascii() and section_id.isdecimal() and 0 < len(section_id) <= 18) or (
        section_id != str(int(section_id))
    ):
        raise errors.NotFound("no such section definition (ids are whole numbers, as POST gave them)")
    return section_id


def replace(r, service: str, section_id: str, doc: Any) -> dict[str, Any]:
    """Replace definition `section_id` (404 when there is none)."""
    section_id = _check_id(section_id)
    if isinstance(doc, dict) and "id" in doc and doc["id"] != section_id:
        raise errors.InvalidValue(
            "the id in the body (a string) is not the id in the URL", fields={"id": ["mismatch"]}
        )
    definition = validate(doc, replacing=True)
    keys_ = [
        keys.section_defs(service),
        keys.section_def_deletions(service),
        keys.section_def_epochs(service),
    ]
    if not _replace(r, keys_, [section_id, _text(section_id, definition), f'"type":"{definition["type"]}"']):
        raise errors.NotFound(f"no section definition {section_id}")
    return {"id": section_id, **definition}


def delete(r, service: str, section_id: str) -> None:
    """Remove definition `section_id` (404 when there is none)."""
    section_id = _check_id(section_id)
    keys_ = [
        keys.section_defs(service),
        keys.section_def_deletions(service),
        keys.section_def_epochs(service),
    ]
    if not _delete(r, keys_, [section_id]):
        raise errors.NotFound(f"no section definition {section_id}")


def definitions(r, service: str) -> list[dict[str, Any]]:
    """Every definition of the service, in the order they were made."""
    stored = r.hgetall(keys.section_defs(service))
    return [exactjson.loads(stored[key]) for key in sorted(stored, key=int)]
