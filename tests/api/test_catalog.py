"""The catalogue over HTTP (API.md "Catalogue")."""

import json

import pytest

from tests.conftest import snapshot


def body(response):
    return json.loads(response.get_data(as_text=True))


MOVIE = {
    "name": "Alien",
    "categories": ["sci-fi"],
    "duration": 117,
    "availability": [{"source_id": 7, "price": 349, "hd": True}],
}


def test_put_get_delete_an_item(api, other_api):
    response = api.put("item/movie/1/", json=MOVIE)
    assert response.status_code == 201
    assert body(response) == {"item_type": "movie", "item_id": "1", **MOVIE}
    assert api.put("item/movie/1", json={**MOVIE, "name": "Alien!"}).status_code == 200  # no slash: same
    assert body(api.get("item/movie/1/"))["name"] == "Alien!"
    assert other_api.get("item/movie/1/").status_code == 404  # another service's catalogue
    assert api.delete("item/movie/1/").status_code == 204
    assert api.get("item/movie/1/").status_code == 404
    response = api.delete("item/movie/1/")
    assert response.status_code == 404 and body(response)["error"]["code"] == "not_found"


def test_bulk_items_store_good_lines_and_report_bad_ones(api):
    lines = [
        {"item_type": "movie", "item_id": "1", **MOVIE},
        {"item_type": "movie", "item_id": "2", "duration": -5},
        {"item_id": "3"},
        {"item_type": "episode", "item_id": "e1", "programme_id": "p1", "season": 1, "episode": 1},
    ]
    ndjson = "\n".join(json.dumps(line) for line in lines) + "\n\n{oops\n"
    response = api.post("items/", data=ndjson, content_type="application/x-ndjson")
    assert response.status_code == 200
    result = body(response)
    assert (result["stored"], result["rejected"]) == (2, 3)
    assert [(e["index"], sorted(e.get("fields", {}))) for e in result["errors"]] == [
        (1, ["duration"]), (2, ["item_type"]), (5, [])
    ]  # fmt: skip
    assert body(api.get("item/episode/e1/"))["programme_id"] == "p1"
    assert api.get("item/movie/2/").status_code == 404
    response = api.post("items/", json=lines[:1])  # a JSON array works too
    assert body(response)["stored"] == 1


def test_too_many_bulk_items_are_refused(api, r):
    before = snapshot(r)
    ndjson = "\n".join(f'{{"item_type":"movie","item_id":"{i}"}}' for i in range(10_001))
    response = api.post("items/", data=ndjson, content_type="application/x-ndjson")
    assert response.status_code == 413
    assert snapshot(r) == before


@pytest.mark.parametrize(
    "doc",
    [
        {"duration": -1},
        {"availability": [{"source_id": 7, "price": -1}]},
        {"availability": [{"source_id": 7}]},
        {"availability": [{"source_id": 7, "price": 1, "hd": "yes"}]},
        {"availability": "everywhere"},
        {"unknown": 1},
    ],
)
def test_bad_items_get_400_and_change_nothing(api, r, doc):
    api.put("item/movie/1/", json=MOVIE)
    before = snapshot(r)
    response = api.put("item/movie/1/", json=doc)
    assert response.status_code == 400
    error = body(response)["error"]
    assert error["code"] == "invalid_value" and error["fields"]
    assert snapshot(r) == before


@pytest.mark.parametrize(
    ("path", "kwargs", "status"),
    [
        ("item/movie/1/", {"data": "[1]", "content_type": "application/json"}, 400),
        ("item/movie/1/", {"data": "{", "content_type": "application/json"}, 400),
        ("item/movie/1/", {"data": "name=x", "content_type": "application/x-www-form-urlencoded"}, 415),
        ("item/Movie/1/", {"json": MOVIE}, 400),
        ("item/movie/a%20b/", {"json": MOVIE}, 400),
        ("item/movie/1/", {"data": "{}" + " " * 300_000, "content_type": "application/json"}, 413),
        ("items/", {"data": "{}", "content_type": "application/json"}, 400),
        (
            "schedule/bbc1/",
            {"json": {"slots": [{"start": 10, "end": 5, "item_type": "m", "item_id": "1"}]}},
            400,
        ),
    ],
)
def test_bad_requests_change_nothing(api, r, path, kwargs, status):
    before = snapshot(r)
    method = api.post if path == "items/" else api.put
    response = method(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    assert body(response)["error"]["status"] == status
    assert snapshot(r) == before


def test_a_programme_guide(api, r):
    guide = {
        "slots": [
            {"start": 1763800000, "end": 1763803600, "item_type": "programme", "item_id": "news"},
            {"start": "2025-11-22T09:30:00Z", "end": 1763807400.5, "item_type": "movie", "item_id": "1"},
        ]
    }
    response = api.put("schedule/bbc1/", json=guide)
    assert response.status_code == 200
    expected = {
        "channel_id": "bbc1",
        "slots": [
            {"start": 1763800000, "end": 1763803600, "item_type": "programme", "item_id": "news"},
            {"start": 1763803800, "end": 1763807400.5, "item_type": "movie", "item_id": "1"},
        ],
    }
    assert body(response) == expected
    assert body(api.get("schedule/bbc1/")) == expected
    assert api.get("schedule/bbc2/").status_code == 404
    overlapping = {"slots": [guide["slots"][0], {**guide["slots"][1], "start": 1763803000}]}
    before = snapshot(r)
    response = api.put("schedule/bbc1/", json=overlapping)
    assert response.status_code == 400
    assert "slots[1]" in body(response)["error"]["fields"]
    assert snapshot(r) == before


def test_an_item_update_hands_its_matches_to_the_workers(api, enqueued):
    api.post("notification/7/movie/1/", json={"url": "https://hooks.example.com/x"})
    assert enqueued == []
    api.put("item/movie/1/", json=MOVIE)
    assert enqueued == [("acme", ["r|movie|1|7|" + enqueued[0][1][0].rsplit("|", 1)[1]])]
    api.put("item/movie/1/", json=MOVIE)
    assert len(enqueued) == 1  # told once


def test_an_unreachable_queue_leaves_deliveries_to_the_sweep(r, settings, caplog):
    from dataclasses import replace

    from api import create_app
    from engine import keys
    from tests.conftest import Api, make_key

    app = create_app(replace(settings, rq_redis_url="redis://127.0.0.1:1"), redis=r)
    api = Api(app.test_client(), make_key(r))
    assert api.post("notification/7/movie/1/", json={"url": "https://hooks.example.com/x"}).status_code == 204
    assert api.put("item/movie/1/", json=MOVIE).status_code == 201
    assert r.zcard(keys.outbox("acme")) == 1
    assert "left to the outbox sweep" in caplog.text
