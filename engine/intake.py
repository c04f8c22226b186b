"""Every recorded event's way in (the event routes, the fast path, batches): section
events to engine/section_lists.py, all others to engine/bookmarks.py (which stores viewing
with its bookmarks and the rest as plain events, learning from them)."""

from __future__ import annotations

from collections.abc import Sequence

from engine import bookmarks, errors, events, section_lists


def record(
    r, service: str, made: Sequence[events.Event], *, log_max: int = events.LOG_MAX
) -> dict[int, errors.EngineError]:
    """Store `made`; returns the events refused, by index (nothing of them was stored)."""
    if not any(e.item_type == section_lists.ITEM_TYPE for e in made):
        return bookmarks.record(r, service, made, log_max=log_max)
    sections = [i for i, e in enumerate(made) if e.item_type == section_lists.ITEM_TYPE]
    others = [i for i, e in enumerate(made) if e.item_type != section_lists.ITEM_TYPE]
    refused = section_lists.record(r, service, [made[i] for i in sections], log_max=log_max)
    found = {sections[i]: error for i, error in refused.items()}
    refused = bookmarks.record(r, service, [made[i] for i in others], log_max=log_max)
    found.update({others[i]: error for i, error in refused.items()})
    return found


def delete(r, service: str, made: events.Event, *, log_max: int = events.LOG_MAX) -> None:
    """Delete one event (`made.delete`): a section event only on an instance the user has
    (else NotFound, nothing stored); any other, whether or not it was there."""
    if made.item_type == section_lists.ITEM_TYPE:
        refused = section_lists.record(r, service, [made], log_max=log_max)
        if refused:
            raise refused[0]
        return
    events.apply(r, service, [made], log_max=log_max)
