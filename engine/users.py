"""A user as a whole: everything the engine keeps about one user of one service."""

from __future__ import annotations

from engine import events, ids, keys, notifications


def purge(r, service: str, uid: str) -> None:
    """Erase every trace of the user: profile, events, lists and viewing stats at once (one
    transaction in the user's slot, retried if a new list appears meanwhile), their
    notification requests (deliveries not yet sent are not sent), and their analytics log
    entries by the periodic sweep."""
    ids.user_id(uid)
    lists_key = keys.event_lists(service, uid)

    def erase(pipe) -> None:
        doomed = keys.user_keys(service, uid, pipe.smembers(lists_key))
        pipe.multi()
        pipe.delete(*doomed)

    r.transaction(erase, lists_key)
    notifications.cancel(r, service, uid)
    events.request_log_purge(r, service, uid)
