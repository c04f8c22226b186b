"""What a request handler reaches for: the app's Redis client, caches and the caller."""

from __future__ import annotations

import threading

from flask import current_app, g

from engine.ratelimit import Limiter
from engine.redis import connect_settings
from engine.settings import Settings, SettingsError
from engine.tenants import KeyCache


class AppState:
    """One per app: settings, the Redis client, the API-key cache and the rate limiter."""

    def __init__(self, settings: Settings, redis=None):
        if redis is None and not settings.redis_url:
            raise SettingsError("REDIS_URL is unset: `tanktop run` starts an embedded Redis")
        self.settings = settings
        self.key_cache = KeyCache(settings.key_cache_seconds)
        self.limiter = Limiter()
        self._redis = redis
        self._lock = threading.Lock()

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


def state() -> AppState:
    return current_app.extensions["tanktop"]


def redis():
    """The engine's Redis client."""
    return state().redis


def service() -> str:
    """The service (tenant) this request acts for."""
    return g.api_key.service
