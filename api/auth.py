"""Who is calling: API key -> service (cached), the key's plan, and its rate limit."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from api.context import now_ms, state
from api.errors import ApiError
from engine.errors import RateLimited


def commercial(view):
    """Mark a view as needing a commercial-plan key (free keys get 403)."""
    view.plan = "commercial"
    return view


def protect(blueprint: Blueprint) -> None:
    """Every route of `blueprint` takes the key from its `<apikey>` path segment."""

    @blueprint.url_value_preprocessor
    def take_key(endpoint, values):
        g.raw_api_key = (values or {}).pop("apikey", "")

    @blueprint.before_request
    def authenticate():
        app = state()
        record = app.key_cache.resolve(app.redis, g.raw_api_key)
        if record is None:
            raise ApiError(401, "unknown_key", "unknown API key")
        if not record.active:
            raise ApiError(401, "revoked_key", "this API key has been revoked")
        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "plan", "free") == "commercial" and record.plan != "commercial":
            raise ApiError(
                403,
                "plan_required",
                "this route needs a commercial-plan API key; this key is on the free plan",
            )
        rate = app.settings.rate_limit if record.rate is None else record.rate
        burst = app.settings.rate_burst if record.burst is None else record.burst
        wait = app.limiter.admit(app.redis, record.key_id, rate=rate, burst=burst, now_ms=now_ms())
        if wait:
            raise RateLimited(
                f"more than {rate:g} requests a second (burst {burst}) on this key", retry_after=wait
            )
        g.api_key = record
