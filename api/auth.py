"""Who is calling: API key -> service (cached), the key's plan, and its rate limit."""

from __future__ import annotations

from flask import Blueprint, Flask, g, request

from api.context import AppState, state
from api.errors import ApiError
from engine.clock import now_ms
from engine.errors import RateLimited
from engine.tenants import ApiKey


def commercial(blueprint: Blueprint) -> Blueprint:
    """Every route of `blueprint` (registered under a protected one) needs a commercial-plan
    key; free keys get 403. Marked on the blueprint, not per view, so that no route of it can
    be left open by a missing or misplaced decorator; a request with no key is refused too."""
    blueprint.plan = "commercial"

    @blueprint.before_request
    def require_commercial():
        record = getattr(g, "api_key", None)
        if record is None or record.plan != "commercial":
            raise ApiError(
                403,
                "plan_required",
                "this route needs a commercial-plan API key; this key is on the free plan",
            )

    return blueprint


def plan_of(app: Flask, endpoint: str) -> str:
    """The plan a route needs: commercial if it or any blueprint around it says so."""
    parts = endpoint.split(".")[:-1]
    names = [".".join(parts[: i + 1]) for i in range(len(parts))]
    commercial_ = any(getattr(app.blueprints.get(name), "plan", None) == "commercial" for name in names)
    return "commercial" if commercial_ else "free"


def admit(app: AppState, record: ApiKey, now: int) -> None:
    """Take one request from the key's rate limit, or raise RateLimited (429)."""
    rate, burst = record.limits(app.settings.rate_limit, app.settings.rate_burst)
    wait = app.limiter.admit(app.redis, record.key_id, rate=rate, burst=burst, now_ms=now)
    if wait:
        raise RateLimited(
            f"more than {rate:g} requests a second (burst {burst}) on this key", retry_after=wait
        )


def protect(blueprint: Blueprint, *, bearer: bool = False) -> None:
    """Every route of `blueprint` needs an API key: from its `<apikey>` path segment, or
    with `bearer` from `Authorization: Bearer <key>` (seed 003's routes)."""

    if bearer:

        @blueprint.before_request
        def take_bearer_key():
            scheme, _, key = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                raise ApiError(
                    401,
                    "unknown_key",
                    "send the API key as Authorization: Bearer <key>",
                    headers={"WWW-Authenticate": 'Bearer realm="tanktop"'},
                )
            g.raw_api_key = key.strip()

    else:

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
        admit(app, record, now_ms())
        g.api_key = record
