"""One JSON error shape for every 4xx and 5xx, Flask's own included; 503 when Redis is down."""

import json

import pytest
import redis


def error_of(response):
    assert response.mimetype == "application/json"
    error = json.loads(response.get_data(as_text=True))["error"]
    assert set(error) <= {"status", "code", "message", "fields"}
    assert error["status"] == response.status_code
    return error


def test_unknown_route_is_a_json_404_that_hides_the_key(api, app):
    response = api.get("nothing/here/")
    error = error_of(response)
    assert response.status_code == 404
    assert api.key not in error["message"] and "<apikey>" in error["message"]
    assert app.test_client().get("/no/such/thing").status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/1/{key}", "/api/2/{key}/user/7/", "/API/1/{key}/user/7/", "/x/{key}/y", "/{key}"]
)
def test_a_key_in_a_mistyped_path_is_hidden_too(api, app, path):
    response = app.test_client().open(path.format(key=api.key), method="FOO")
    assert response.status_code in (404, 405)
    assert api.key not in response.get_data(as_text=True)


def test_wrong_method_is_a_json_405_with_allow(app):
    response = app.test_client().post("/healthz")
    assert response.status_code == 405
    error = error_of(response)
    assert error["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"] and "GET" in error["message"]


def test_patch_on_the_collection_reads_as_an_empty_user_id(api):
    error = error_of(api.open("PATCH", "user/"))
    assert error["code"] == "invalid_value" and "empty" in error["message"]


def test_malformed_json_is_a_json_400(api):
    error = error_of(api.put("user/7/", data="{nope", content_type="application/json"))
    assert error["code"] == "invalid_json" and "line 1 column 2" in error["message"]


def test_an_unexpected_exception_is_a_json_500_without_details(app, api, monkeypatch):
    from engine import profiles

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(profiles, "get", explode)
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api.get("user/7/")
    assert response.status_code == 500
    assert "secret" not in error_of(response)["message"]


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (redis.ConnectionError("refused"), "unavailable"),
        (redis.exceptions.BusyLoadingError("loading"), "unavailable"),
        (redis.exceptions.RedisClusterException("Redis Cluster cannot be connected"), "unavailable"),
        (redis.exceptions.OutOfMemoryError("OOM"), "unavailable"),
        (redis.TimeoutError("slow"), "timeout"),
    ],
)
def test_redis_failures_are_503_with_retry_after(app, api, monkeypatch, failure, code):
    from engine import profiles

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(profiles, "get", fail)
    response = api.get("user/7/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    error = error_of(response)
    assert error["code"] == code
    assert "may or may not have taken effect" in error["message"]  # a lost reply hides the outcome


def test_masking_leaves_ids_that_merely_contain_tt_alone(api):
    error = error_of(api.get("nothing/matt_smith/"))
    assert "matt_smith" in error["message"]
