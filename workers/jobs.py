"""RQ jobs: a few lines each, primitives in, the engine does the work."""

from __future__ import annotations

from engine import events
from engine.redis import connect_settings
from engine.settings import Settings


def sweep_log_purges() -> int:
    """Delete purged users' entries from the services' analytics logs; returns how many."""
    r = connect_settings(Settings.from_env())
    return sum(events.purge_log(r, service) for service in events.pending_log_purges(r))
