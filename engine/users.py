"""A user as a whole: everything the engine keeps about one user of one service."""

from __future__ import annotations

from engine import events, ids, keys


def purge(r, service: str, uid: str, *, now_ms: int) -> None:
    """Erase every trace of the user: profile, events, lists and viewing stats at once (one
    slot: the user's hash tag), and their analytics log entries by the periodic sweep."""
    ids.user_id(uid)
    r.delete(*keys.user_keys(service, uid))
    events.request_log_purge(r, service, uid, now_ms=now_ms)
