"""What a request handler reaches for: the app's Redis client, caches and the caller."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from flask import current_app, g

import workers.queues as queues
from engine.errors import UNAVAILABLE
from engine.ratelimit import Limiter
from engine.redis import connect_settings
from engine.settings import Settings, SettingsError
from engine.tenants import KeyCache

log = logging.getLogger(__name__)

#: What hands new webhook deliveries to the workers: (service, delivery ids) -> None.
Enqueue = Callable[[str, Sequence[str]], None]


class AppState:
    """One per app: settings, the Redis client, the API-key cache, the rate limiter and
    the hand-over of webhook deliveries to the workers."""

    def __init__(self, settings: Settings, redis=None, enqueue: Enqueue | None = None):
        if redis is None and not settings.redis_url:
            raise SettingsError("REDIS_URL is unset: `tanktop run` starts an embedded Redis")
        self.settings = settings
        self.key_cache = KeyCache(settings.key_cache_seconds)
        self.limiter = Limiter()
        self._redis = redis
        self._lock = threading.Lock()
        self._enqueue = enqueue
        self._rq = None

    @property
    def redis(self):
        """The engine's client, built on first use: a cluster client connects when it is
        built, and a cluster that is down when the web process starts must give 503s until
        it is back, not a process that cannot start."""
        if self._redis is None:
            with self._lock:
                if self._redis is None:
                    self._redis = connect_settings(self.settings)
        return self._redis

    @redis.setter
    def redis(self, client) -> None:
        self._redis = client

    def rq_connection(self):
        """RQ's Redis, connected on first use."""
        if self._rq is None:
            self._rq = queues.connection(self.settings)
        return self._rq

    def enqueue_deliveries(self, service: str, delivery_ids: Sequence[str]) -> None:
        """Hand new deliveries to the workers. They are in the outbox already: should this
        fail (RQ's Redis down), the workers' outbox sweep sends them a little later."""
        if not delivery_ids:
            return
        try:
            if self._enqueue is not None:
                self._enqueue(service, delivery_ids)
                return
            queues.enqueue_deliveries(
                self.rq_connection(), service, delivery_ids, timeout=self.settings.webhook_timeout
            )
        except (SettingsError, *UNAVAILABLE) as error:
            log.warning("%d webhook deliveries left to the outbox sweep: %s", len(delivery_ids), error)


def state() -> AppState:
    return current_app.extensions["tanktop"]


def redis():
    """The engine's Redis client."""
    return state().redis


def service() -> str:
    """The service (tenant) this request acts for."""
    return g.api_key.service
