"""User profiles: free-form JSON objects that a service keeps about its users (seed 000).

A profile is a Redis hash, one field per top-level key holding that key's JSON text, so a
read returns the stored text unchanged (numbers and strings exact) and a write touches only
the keys it names. Top-level keys starting `_` are reserved for the service (and used here
for `_etag` and `_deactivated`); `id` is the user id and is never stored.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine import errors, exactjson, ids, keys, scripts

MAX_BYTES = 64 * 1024  # top-level keys plus their JSON texts, in UTF-8 bytes
SERVER_ID_ATTEMPTS = 5
PATCH_ATTEMPTS = 8

_put = scripts.load("put_profile")
_patch = scripts.load("patch_profile")
_deactivate = scripts.load("deactivate_profile")


@dataclass(frozen=True)
class Profile:
    """One active profile: its fields as stored JSON texts, and its entity tag."""

    uid: str
    fields: dict[str, str]
    etag: str

    def to_json(self) -> str:
        """The profile as JSON text: `id` first, then the keys in sorted order."""
        parts = [f'{{"id":{exactjson.dumps(self.uid)}']
        for name in sorted(self.fields):
            parts.append(f",{exactjson.dumps_string(name)}:{self.fields[name]}")
        parts.append("}")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return exactjson.loads(self.to_json())


ETAG = re.compile(r"[0-9a-f]{16}")
IfMatch = str | Iterable[str] | None  # None: no condition; "*": any active profile; else etags


def new_etag() -> str:
    return secrets.token_hex(8)


def _if_match_arg(if_match: IfMatch) -> str:
    """The scripts' if-match argument: '' none, '*' any, else the given etags that have the
    shape of ours (no other tag can match; '!' then stands for "none can")."""
    if if_match is None:
        return ""
    if if_match == "*":
        return "*"
    if isinstance(if_match, str):
        raise TypeError("give etags as a list, or '*'")
    return " ".join(sorted(tag for tag in if_match if ETAG.fullmatch(tag))) or "!"


def _check_keys(doc: dict[str, Any], uid: str | None, *, patch: bool) -> None:
    """Refuse reserved keys and an `id` that is not the user's."""
    reserved = sorted(name for name in doc if name.startswith("_"))
    if reserved:
        raise errors.InvalidValue(
            "top-level keys starting with _ are reserved",
            fields={name: ["reserved key"] for name in reserved},
        )
    if "id" not in doc:
        return
    value = doc["id"]
    if patch and value is None:
        raise errors.InvalidValue("id cannot be removed", fields={"id": ["cannot be removed"]})
    if uid is None:
        raise errors.InvalidValue(
            "the server chooses the id of a new user; use PUT user/<id>/ to choose it yourself",
            fields={"id": ["chosen by the server"]},
        )
    as_text = value if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        as_text = str(value)
    elif isinstance(value, exactjson.Number) and re.fullmatch(r"-?\d+", value.text):
        as_text = value.text  # an integer too long for int, or -0
    if as_text != uid:
        raise errors.InvalidValue(
            f"id in the body ({exactjson.dumps(value)[:40]}) differs from the user id in the URL",
            fields={"id": ["differs from the user id in the URL"]},
        )


def _encode(doc: dict[str, Any]) -> dict[str, str]:
    return {name: exactjson.dumps(value) for name, value in doc.items() if name != "id"}


def _size(fields: dict[str, str]) -> int:
    return sum(len(name.encode()) + len(text.encode()) for name, text in fields.items())


def _check_size(fields: dict[str, str]) -> None:
    size = _size(fields)
    if size > MAX_BYTES:
        raise errors.TooLarge(f"the profile would hold {size} bytes; at most {MAX_BYTES} are allowed")


def _flatten(fields: dict[str, str]) -> list[str]:
    return [part for pair in fields.items() for part in pair]


def get(r, service: str, uid: str) -> Profile | None:
    """The active profile of `uid`, or None (never created, deactivated or purged)."""
    ids.user_id(uid)
    stored = r.hgetall(keys.profile(service, uid))
    if "_etag" not in stored or "_deactivated" in stored:
        return None
    etag = stored.pop("_etag")
    return Profile(uid, {k: v for k, v in stored.items() if not k.startswith("_")}, etag)


def put(
    r,
    service: str,
    uid: str,
    doc: dict[str, Any],
    *,
    if_match: IfMatch = None,
    only_if_absent: bool = False,
) -> tuple[Profile, bool]:
    """Create or replace the profile of `uid`; returns it and whether it was created.

    `if_match` ('*' or etags) requires an active profile with one of those etags;
    `only_if_absent` (If-None-Match: *) refuses to replace an active profile.
    """
    ids.user_id(uid)
    _check_keys(doc, uid, patch=False)
    fields = _encode(doc)
    _check_size(fields)
    etag = new_etag()
    mode = "absent" if only_if_absent else "replace"
    result = _put(r, [keys.profile(service, uid)], [etag, _if_match_arg(if_match), mode, *_flatten(fields)])
    if result == errors.LUA_EXISTS:
        raise errors.PreconditionFailed(f"user {uid} exists (If-None-Match: *)")
    errors.check(result)
    return Profile(uid, fields, etag), result == 1


def create(r, service: str, doc: dict[str, Any], *, new_id=lambda: secrets.token_hex(8)) -> Profile:
    """Create a profile under an id the server chooses (never one used before)."""
    _check_keys(doc, None, patch=False)
    fields = _encode(doc)
    _check_size(fields)
    etag = new_etag()
    for _ in range(SERVER_ID_ATTEMPTS):
        uid = new_id()
        result = _put(r, [keys.profile(service, uid)], [etag, "", "new", *_flatten(fields)])
        if result == 1:
            return Profile(uid, fields, etag)
    raise errors.Conflict("could not find a free user id; try again")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: `null` deletes, objects merge recursively."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def patch(r, service: str, uid: str, doc: dict[str, Any], *, if_match: IfMatch = None) -> Profile:
    """Update an active profile by JSON Merge Patch; returns the profile as this write left it.

    Top-level scalars and deletions go straight to one script; nested objects are merged
    here against the stored values, and the script refuses the write if the profile changed
    since it was read (then this reads again).
    """
    ids.user_id(uid)
    _check_keys(doc, uid, patch=True)
    key = keys.profile(service, uid)
    nested = [name for name, value in doc.items() if isinstance(value, dict)]
    changes = {name: "" if value is None else exactjson.dumps(value) for name, value in doc.items()}
    changes.pop("id", None)
    messages = {
        errors.LUA_NOT_FOUND: f"no active user {uid}",
        errors.LUA_TOO_LARGE: f"the profile would hold more than {MAX_BYTES} bytes",
    }
    for attempt in range(PATCH_ATTEMPTS):
        if attempt:  # another write landed between our read and write: back off, read again
            time.sleep(random.uniform(0, 0.001 * 2**attempt))
        expected = ""
        if nested:
            stored = r.hmget(key, ["_etag", "_deactivated", *nested])
            if stored[0] is None or stored[1] is not None:
                raise errors.NotFound(messages[errors.LUA_NOT_FOUND])
            expected = stored[0]
            for name, text in zip(nested, stored[2:], strict=True):
                current = exactjson.loads(text) if text is not None else None
                changes[name] = exactjson.dumps(merge_patch(current, doc[name]))
        etag = new_etag()
        args = [etag, _if_match_arg(if_match), expected, MAX_BYTES, *_flatten(changes)]
        result = _patch(r, [key], args)
        if result != errors.LUA_CHANGED:
            errors.check(result, messages)
            return Profile(uid, dict(zip(result[1::2], result[2::2], strict=True)), etag)
    raise errors.Conflict(f"user {uid} is being changed by other requests; try again")


def deactivate(r, service: str, uid: str, *, now_ms: int, if_match: IfMatch = None) -> None:
    """Hide the profile: reads and updates answer 404 until a PUT re-creates it."""
    ids.user_id(uid)
    result = _deactivate(r, [keys.profile(service, uid)], [now_ms, _if_match_arg(if_match)])
    errors.check(result, {errors.LUA_NOT_FOUND: f"no active user {uid}"})
