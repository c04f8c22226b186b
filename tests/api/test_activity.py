"""Seed 003 over HTTP: PUT/GET /metax/3.0/ui/user/stat/<subscriber_id>, Bearer auth."""

import pytest

from tests.conftest import snapshot

URL = "/metax/3.0/ui/user/stat/user@example.org"


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def bearer(api):
    return {"Authorization": f"Bearer {api.key}"}


def test_put_then_get(client, bearer):
    upload = {"favorites": ["a1"], "view_data": [{"asset_id": "a1", "pause_time": 600, "user_rating": 4}]}
    response = client.put(URL, json=upload, headers=bearer)
    assert response.status_code == 200
    expected = {
        "user_id": "user@example.org",
        "favorites": ["a1"],
        "view_data": [{"asset_id": "a1", "pause_time": 600, "user_rating": 4}],
    }
    assert response.get_json() == expected
    assert client.get(URL, headers=bearer).get_json() == expected
    assert client.get(URL.rstrip("/") + "/", headers=bearer).status_code == 200


def test_is_delta_false_replaces_everything(client, bearer):
    client.put(
        URL, json={"favorites": ["a1"], "view_data": [{"asset_id": "a1", "view_time": 5}]}, headers=bearer
    )
    client.put(
        URL + "?isDelta=false", json={"view_data": [{"asset_id": "a2", "view_time": 9}]}, headers=bearer
    )
    assert client.get(URL, headers=bearer).get_json()["view_data"] == [{"asset_id": "a2", "view_time": 9}]
    assert client.get(URL, headers=bearer).get_json()["favorites"] == []


def test_favorites_show_in_the_event_api_as_the_watchlist(client, bearer, api):
    client.put(URL, json={"favorites": ["a1"]}, headers=bearer)
    assert api.get("event/user@example.org/watchlist/asset/?id=a1").get_json() == {"watchlist": {"a1": None}}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer tt_unknownkeyunknownkey00"},
    ],
)
def test_without_a_good_bearer_key_401(client, headers):
    response = client.get(URL, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unknown_key"


@pytest.mark.parametrize(
    ("kwargs", "query", "status"),
    [
        ({"json": [1, 2]}, "", 400),
        ({"json": "text"}, "", 400),
        ({"data": "{", "content_type": "application/json"}, "", 400),
        ({"data": "{}", "content_type": "text/plain"}, "", 415),
        ({"json": {"view_data": [{"asset_id": "a1", "user_rating": 6}]}}, "", 400),
        ({"json": {"view_data": [{"asset_id": "a1", "view_time": -1}]}}, "", 400),
        ({"json": {"view_data": [{"asset_id": "a1", "play_count": "2"}]}}, "", 400),
        ({"json": {"favourites": []}}, "", 400),
        ({"json": {}}, "?isDelta=maybe", 400),
    ],
)
def test_bad_uploads_get_a_clear_4xx_and_change_nothing(client, bearer, r, kwargs, query, status):
    client.put(
        URL, json={"favorites": ["a1"], "view_data": [{"asset_id": "a1", "view_time": 5}]}, headers=bearer
    )
    before = snapshot(r)
    response = client.put(URL + query, headers=bearer, **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]["status"] == status
    assert snapshot(r) == before


def test_a_bad_subscriber_id_is_400(client, bearer):
    assert client.get("/metax/3.0/ui/user/stat/a%20b", headers=bearer).status_code == 400
