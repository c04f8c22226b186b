"""Recommendations over HTTP (seed 000 "Item-item similarity", "Recommended items for a
user"; API.md "Recommendations")."""

import json

import pytest

from tests.conftest import snapshot


def body(response):
    return json.loads(response.get_data(as_text=True))


@pytest.fixture
def crowd(api):
    for user, items in (("1", "AB"), ("2", "AB"), ("3", "AC"), ("4", "XC"), ("5", "XCD")):
        for item in items:
            assert api.post(f"event/{user}/seen/movie/{item}/").status_code == 204
    return api


def test_recommendations_similar_and_popular_over_http(crowd, other_api):
    api = crowd
    assert api.post("event/9/seen/movie/A/").status_code == 204
    found = api.get("recommend/9/")
    assert found.status_code == 200
    first, second, *_ = body(found)["items"]
    assert first == {
        "item_type": "movie",
        "item_id": "B",
        "score": first["score"],
        "because": [{"item_type": "movie", "item_id": "A"}],
        "basis": "similar",
    }
    assert second["item_id"] == "C" and 0 < second["score"] < first["score"]
    assert [i["item_id"] for i in body(api.get("recommend/9/?limit=1"))["items"]] == ["B"]
    assert body(api.get("recommend/9/?item_type=series"))["items"] == []

    similar = body(api.get("similar/movie/A/?limit=5"))["items"]
    assert [(i["item_id"], set(i)) for i in similar] == [
        ("B", {"item_type", "item_id", "score"}),
        ("C", {"item_type", "item_id", "score"}),
    ]
    popular = body(api.get("popular/movie/"))["items"]
    assert [i["item_id"] for i in popular][:2] == ["A", "C"] and len(popular) == 5

    assert body(other_api.get("recommend/9/"))["items"] == []  # another service knows nothing
    assert other_api.get("similar/movie/A/").status_code == 404


def test_watchlisted_items_only_when_asked(crowd):
    api = crowd
    api.post("event/9/seen/movie/A/")
    api.post("event/9/watchlist/movie/B/")
    assert "B" not in [i["item_id"] for i in body(api.get("recommend/9/"))["items"]]
    assert "B" in [i["item_id"] for i in body(api.get("recommend/9/?watchlist=include"))["items"]]
    assert "B" not in [i["item_id"] for i in body(api.get("recommend/9/?watchlist=exclude"))["items"]]


def test_a_batch_of_events_is_learnt_at_once(api):
    lines = [{"user_id": u, "event": "seen", "item_type": "movie", "item_id": i} for u in "12" for i in "PQ"]
    assert body(api.post("events/", json=lines))["stored"] == 4
    assert [i["item_id"] for i in body(api.get("similar/movie/P/"))["items"]] == ["Q"]


def test_cold_users_get_what_is_popular(crowd):
    items = body(crowd.get("recommend/nobody/?item_type=movie&limit=3"))["items"]
    assert len(items) == 3 and {i["basis"] for i in items} == {"popular"}
    assert all(i["because"] == [] for i in items)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", "", "%C2%B2"])
@pytest.mark.parametrize("path", ["recommend/9/", "similar/movie/A/", "popular/movie/"])
def test_a_limit_outside_1_to_100_is_a_400(crowd, path, limit):
    found = crowd.get(f"{path}?limit={limit}")
    assert found.status_code == 400
    assert body(found)["error"]["fields"] == {"limit": ["out of range"]}
    assert "1 to 100" in body(found)["error"]["message"]


@pytest.mark.parametrize(
    "path",
    [
        "recommend/%20/",
        "recommend/a%7Cb/",
        f"recommend/{'u' * 300}/",
        "recommend/9/?item_type=a%20b",
        "recommend/9/?watchlist=yes",
        "similar/movie/%20/",
        "similar/mo%7Cvie/A/",
        "similar/movie/A/?item_type=%7C",
        "popular/a%20b/",
        "recommend//",
        "similar//A/",
    ],
)
def test_malformed_ids_and_options_are_a_400(crowd, path):
    found = crowd.get(path)
    assert found.status_code == 400, path
    assert body(found)["error"]["message"]


@pytest.mark.parametrize("path", ["similar/series/A/", "similar/movie/nothing/", "popular/series/"])
def test_unknown_item_types_and_items_are_a_404(crowd, path):
    found = crowd.get(path)
    assert found.status_code == 404
    assert body(found)["error"]["message"]


def test_settings_over_http(api, r):
    assert body(api.get("config/recommendations/")) == {
        "neighbours": 100,
        "half_life_days": 90,
        "history": 200,
    }
    changed = api.put("config/recommendations/", json={"half_life_days": 30})
    assert changed.status_code == 200 and body(changed)["half_life_days"] == 30
    before = snapshot(r)
    for doc in ({"neighbours": 0}, {"nope": 1}, [1], {"history": "many"}):
        refused = api.put("config/recommendations/", json=doc)
        assert refused.status_code == 400 and body(refused)["error"]["message"]
    refused = api.put("config/recommendations/", data="{", content_type="application/json")
    assert refused.status_code == 400
    assert snapshot(r) == before


def test_a_weights_change_applies_to_the_next_call(crowd):
    api = crowd
    api.post("event/9/seen/movie/A/")
    assert body(api.get("recommend/9/"))["items"][0]["basis"] == "similar"
    assert api.put("config/weights/", json={"recommendations": {"seen": 0}}).status_code == 200
    assert {i["basis"] for i in body(api.get("recommend/9/"))["items"]} == {"popular"}


def test_a_limit_of_thousands_of_digits_is_a_400_at_once(crowd):
    for path in ("recommend/9/", "popular/movie/", "event/9/seen/movie/"):
        found = crowd.get(f"{path}?limit={'9' * 5000}")
        assert found.status_code == 400 and body(found)["error"]["fields"] == {"limit": ["out of range"]}
    assert len(body(crowd.get(f"popular/movie/?limit={'0' * 5000}3"))["items"]) == 3  # leading zeros
