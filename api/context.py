"""What a request handler reaches for: the app's Redis client, caches and the caller."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, g

from engine.ratelimit import Limiter
from engine.settings import Settings
from engine.tenants import ApiKey, KeyCache


@dataclass
class AppState:
    settings: Settings
    redis: object
    key_cache: KeyCache
    limiter: Limiter


def state() -> AppState:
    return current_app.extensions["tanktop"]


def redis():
    """The engine's Redis client."""
    return state().redis


def caller() -> ApiKey:
    """The API key of this request (set by api.auth before the view runs)."""
    return g.api_key


def service() -> str:
    """The service (tenant) this request acts for."""
    return g.api_key.service


def now_ms() -> int:
    return int(time.time() * 1000)
