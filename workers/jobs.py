"""RQ jobs: a few lines each, primitives in, the engine does the work."""

from __future__ import annotations

import contextlib
import functools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from rq import get_current_job

from engine import bookmarks, events, learning, notifications, popularity, section_lists, tenants, webhooks
from engine.clock import now_ms
from engine.redis import connect_settings
from engine.settings import Settings
from workers import queues

DELIVERY_THREADS = 16  # deliveries of one job sent at once
SWEEP_SECONDS = 5  # a sweep hands on what it can in this long; the next goes on
LEARN_SECONDS = 0.8  # learning per run, which comes every second
LEARN_NICENESS = 10  # the learning job yields the CPU to the web processes


@functools.cache
def _client(settings: Settings):
    return connect_settings(settings)


def _engine():
    """The settings, and this process's engine client for them (a work horse builds its own)."""
    settings = Settings.from_env()
    return settings, _client(settings)


def sweep_log_purges() -> int:
    """Delete purged users' entries from the services' analytics logs; returns how many."""
    _, r = _engine()
    return sum(events.purge_log(r, service) for service in events.pending_log_purges(r))


def close_live_sessions() -> int:
    """Close the live sessions left open past their service's limit (a missing `end`),
    turning them into viewing; returns how many."""
    _, r = _engine()
    return sum(
        bookmarks.close_expired(r, service, now_ms=now_ms())
        for service in bookmarks.services_with_sessions(r)
    )


def learn() -> int:
    """Make the co-occurrence pairs, users counts and popularity of the events marked for
    learning since the last run (engine/learning.py), for up to LEARN_SECONDS (the next run
    goes on); returns how many items were learnt."""
    settings, r = _engine()
    with contextlib.suppress(OSError):  # this job's own process (a work horse): requests first
        os.nice(LEARN_NICENESS)
    return learning.run(r, seconds=LEARN_SECONDS, duty=settings.learn_duty)


def move_popularity_landmarks() -> int:
    """Move the landmark of every popularity set more than a half-life behind now (its
    numbers stay small; no score is rewritten one by one otherwise); returns how many."""
    _, r = _engine()
    return popularity.move_landmarks(r, now_ms=now_ms())


def compact_section_boosts() -> int:
    """Bring section boosts due a compaction to now, dropping faded ones and instances of
    deleted definitions (reads decay boosts themselves; this keeps storage small). Returns
    how many users were visited."""
    _, r = _engine()
    return sum(
        section_lists.compact(r, service, now_ms=now_ms())
        for service in section_lists.services_with_boosts(r)
    )


def deliver(service: str, delivery_ids: list[str]) -> int:
    """Send webhook deliveries, up to DELIVERY_THREADS at once (receivers are slow, not
    busy); a failed one is enqueued again after its backoff (and the outbox sweep sends it
    should that job be lost). Returns how many were sent or tried."""
    settings, r = _engine()
    signing = tenants.webhook_secrets(r, service, now_ms=now_ms()).signing()
    post = functools.partial(
        webhooks.post, timeout=settings.webhook_timeout, allow_private=settings.webhook_allow_private
    )
    lease_ms = notifications.LEASE_MS + int(3 * settings.webhook_timeout * 1000)

    def one(delivery_id: str) -> float | None:
        return notifications.deliver(
            r, service, delivery_id, secrets=signing, post=post, now_ms=now_ms(), lease_ms=lease_ms
        )

    with ThreadPoolExecutor(max(1, min(DELIVERY_THREADS, len(delivery_ids)))) as pool:
        delays = list(pool.map(one, delivery_ids))
    job = get_current_job()
    if job is not None:
        retries = queues.queue(queues.WEBHOOKS, job.connection)
        for delivery_id, delay in zip(delivery_ids, delays, strict=True):
            if delay is not None:
                retries.enqueue_in(timedelta(seconds=delay), deliver, service, [delivery_id], result_ttl=0)
    return len(delivery_ids)


def sweep_outboxes() -> int:
    """Enqueue every delivery whose time has come but that no job has begun (a lost job, a
    crash between match and enqueue, an import's), for up to SWEEP_SECONDS; returns how
    many."""
    settings, r = _engine()
    job = get_current_job()
    swept = 0
    stop_at = time.monotonic() + SWEEP_SECONDS
    for service in notifications.services_with_deliveries(r, tenants.services(r)):
        while time.monotonic() < stop_at:
            due = notifications.claim_due(r, service, now_ms=now_ms())
            if due and job is not None:
                queues.enqueue_deliveries(job.connection, service, due, timeout=settings.webhook_timeout)
            elif due:
                deliver(service, due)
            swept += len(due)
            if len(due) < notifications.SWEEP_BATCH:
                break
    return swept
