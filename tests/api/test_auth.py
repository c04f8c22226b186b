"""API keys over HTTP: 401 for unknown and revoked keys, 403 for a free key on a
commercial route, 429 with Retry-After over the rate limit."""

import json

import pytest
from flask import Blueprint, jsonify

from api import auth
from engine import tenants
from tests.conftest import Api, make_key


def error_of(response):
    return json.loads(response.get_data(as_text=True))["error"]


@pytest.mark.parametrize("key", ["tt_doesnotexist0000000000000", "short", "has space in it 0000000"])
def test_unknown_keys_get_401(app, key):
    response = Api(app.test_client(), key).get("user/7/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unknown_key"
    assert key not in response.get_data(as_text=True)


def test_revoked_key_gets_401_once_the_cache_lapses(app, r):
    api = Api(app.test_client(), make_key(r))
    assert api.put("user/7/", json={}).status_code == 201
    tenants.revoke_key(r, api.key, now_ms=1)
    app.extensions["tanktop"].key_cache._entries.clear()  # as if the cache's seconds had passed
    response = api.get("user/7/")
    assert response.status_code == 401
    assert error_of(response)["code"] == "revoked_key"


def test_revoked_key_changes_nothing(app, r):
    api = Api(app.test_client(), make_key(r))
    tenants.revoke_key(r, api.key, now_ms=1)
    assert api.put("user/7/", json={"a": 1}).status_code == 401
    assert not any(":profile" in name for name in r.keys("*"))


@pytest.fixture
def app_with_commercial_route(r, settings):
    from api import create_app
    from api.openapi import operation

    app = create_app(settings, redis=r)
    keyed = Blueprint("extra", __name__, url_prefix="/api/1/<apikey>")
    auth.protect(keyed)
    premium_routes = auth.commercial(Blueprint("premium", __name__))

    @premium_routes.get("/premium/")
    @operation("A commercial route.", responses={200: ("ok", None)})
    def premium():
        return jsonify(ok=True)

    keyed.register_blueprint(premium_routes)
    app.register_blueprint(keyed)
    return app


def test_free_key_on_a_commercial_route_gets_403_with_a_message(app_with_commercial_route, r):
    client = app_with_commercial_route.test_client()
    free = Api(client, make_key(r, plan="free"))
    response = free.get("premium/")
    assert response.status_code == 403
    assert "commercial" in error_of(response)["message"]
    assert Api(client, make_key(r, plan="commercial")).get("premium/").status_code == 200
    assert free.put("user/7/", json={}).status_code == 201  # free routes stay open


def test_commercial_routes_document_their_403(app_with_commercial_route):
    spec = app_with_commercial_route.test_client().get("/api/1/openapi.json").get_json()
    assert "403" in spec["paths"]["/api/1/{apikey}/premium/"]["get"]["responses"]
    assert "403" not in spec["paths"]["/api/1/{apikey}/user/{uid}/"]["get"]["responses"]


def test_a_commercial_blueprint_outside_the_protected_one_fails_closed(r, settings):
    from api import create_app

    app = create_app(settings, redis=r)
    stray = auth.commercial(Blueprint("stray", __name__))

    @stray.get("/stray/")
    def stray_route():
        return jsonify(ok=True)

    app.register_blueprint(stray)
    assert app.test_client().get("/stray/").status_code == 403


def test_over_the_rate_limit_gets_429_with_retry_after(app, r):
    api = Api(app.test_client(), make_key(r, rate=1, burst=2))
    assert api.put("user/7/", json={"a": 1}).status_code == 201
    assert api.get("user/7/").status_code == 200
    response = api.put("user/7/", json={"a": 2})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert error_of(response)["code"] == "rate_limited"
    assert json.loads(app.test_client().get(api.url("user/7/")).get_data())  # body is JSON
    other = Api(app.test_client(), make_key(r, service="rival"))
    assert other.get("user/7/").status_code == 404  # limits are per key


def test_rate_limited_write_changes_nothing(app, r):
    api = Api(app.test_client(), make_key(r, rate=1, burst=1))
    api.put("user/7/", json={"a": 1})
    assert api.put("user/7/", json={"a": 2}).status_code == 429
    from engine import profiles

    assert profiles.get(r, "acme", "7").to_dict() == {"id": "7", "a": 1}


def test_default_limits_come_from_settings(r):
    from api import create_app
    from engine.settings import Settings

    app = create_app(Settings(rate_limit=1, rate_burst=1), redis=r)
    api = Api(app.test_client(), make_key(r))
    assert api.get("user/7/").status_code == 404
    assert api.get("user/7/").status_code == 429


def test_rate_zero_means_unlimited(app, r):
    api = Api(app.test_client(), make_key(r, rate=0, burst=1))
    assert all(api.get("user/7/").status_code == 404 for _ in range(20))


def test_the_key_is_checked_before_anything_else(app):
    client = app.test_client()
    bad = Api(client, "tt_doesnotexist0000000000000")
    assert bad.put("user/a%20b/", data="nope", content_type="text/plain").status_code == 401
