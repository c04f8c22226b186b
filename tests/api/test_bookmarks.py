"""Bookmarks over HTTP (seed 000 "Bookmarks", API.md "Bookmarks")."""

import json
import time

import pytest

from tests.conftest import snapshot


def body(response):
    return json.loads(response.get_data(as_text=True))


@pytest.fixture
def show(api):
    api.put("item/programme/p/", json={"name": "The Show"})
    for item_id, episode in (("e1", 1), ("e2", 2)):
        api.put(f"item/episode/{item_id}/", json={"programme_id": "p", "season": 1, "episode": episode,
                                                  "duration": 40, "name": f"Ep {episode}"})  # fmt: skip
    api.put("item/movie/m/", json={"name": "Alien", "duration": 117})
    return api


def test_continue_watching_over_http(show, other_api):
    api = show
    assert api.post("event/u1/progress/movie/m/60/").status_code == 204
    assert api.post("event/u1/progress/episode/e1/39/").status_code == 204  # finished: e2 is next
    listing = api.get("bookmark/u1/")
    assert listing.status_code == 200
    first, second = body(listing)["bookmarks"]
    assert (first["item_type"], first["item_id"], first["name"]) == ("programme", "p", "The Show")
    assert first["episode"] == {
        "item_type": "episode", "item_id": "e2", "season": 1, "episode": 2, "name": "Ep 2",
        "status": "up_next",
    }  # fmt: skip
    assert (second["item_id"], second["position"], second["duration"], second["percent"]) == (
        "m",
        60,
        117,
        51.3,
    )
    assert body(api.get("bookmark/u1/movie/m"))["position"] == 60  # no slash: the same
    assert api.get("bookmark/u1/movie/zzz/").status_code == 404
    assert body(other_api.get("bookmark/u1/"))["bookmarks"] == []  # another service sees none
    assert other_api.get("bookmark/u1/movie/m/").status_code == 404
    assert api.delete("bookmark/u1/movie/m/").status_code == 204
    assert [b["item_id"] for b in body(api.get("bookmark/u1/"))["bookmarks"]] == ["p"]
    assert api.delete("bookmark/u1/movie/m/").status_code == 204  # again: still 204


def test_pages_follow_the_link_header(api):
    for i in range(5):
        api.post(f"event/u1/progress/clip/c{i}/10/?ts={1763800000 + i}")
    response = api.get("bookmark/u1/?limit=2")
    seen = [b["item_id"] for b in body(response)["bookmarks"]]
    while "Link" in response.headers:
        url = response.headers["Link"].split(">")[0].lstrip("<")
        response = api.client.get(url)
        seen += [b["item_id"] for b in body(response)["bookmarks"]]
    assert seen == ["c4", "c3", "c2", "c1", "c0"]


def test_a_batch_refuses_only_its_bad_viewing_lines(show):
    lines = [
        {"user_id": "u1", "event": "progress", "item_type": "movie", "item_id": "m", "value": 400},
        {"user_id": "u1", "event": "progress", "item_type": "movie", "item_id": "m", "value": 30},
        {"user_id": "u1", "event": "end", "item_type": "channel", "item_id": "bbc1"},
        {"user_id": "u1", "event": "seen", "item_type": "episode", "item_id": "e1"},
    ]
    result = body(show.post("events/", json=lines))
    assert (result["stored"], result["rejected"]) == (2, 2)
    assert [e["index"] for e in result["errors"]] == [0, 2]
    assert "3 times" in result["errors"][0]["error"]
    assert "end without a start" in result["errors"][1]["error"]
    assert {b["item_id"] for b in body(show.get("bookmark/u1/"))["bookmarks"]} == {"m", "p"}


def test_live_viewing_over_http(api):
    now = int(time.time())
    start = now - 3600
    guide = {
        "slots": [
            {"start": start, "end": start + 1800, "item_type": "movie", "item_id": "m"},
            {"start": start + 1800, "end": start + 3600, "item_type": "news", "item_id": "n"},
        ]
    }
    assert api.put("schedule/bbc1/", json=guide).status_code == 200
    assert api.post(f"event/u1/start/channel/bbc1/{start + 600}/").status_code == 204
    assert api.post(f"event/u1/end/channel/bbc1/{start + 2400}/").status_code == 204
    entries = {b["item_id"]: b for b in body(api.get("bookmark/u1/"))["bookmarks"]}
    assert entries["m"]["position"] == 20
    assert entries["n"]["position"] == 10


def test_settings_over_http(api, r):
    assert body(api.get("config/bookmarks/")) == {"completion": 0.9, "min_minutes": 2, "session_hours": 4}
    response = api.put("config/bookmarks/", json={"completion": 0.95})
    assert body(response) == {"completion": 0.95, "min_minutes": 2, "session_hours": 4}
    before = snapshot(r)
    response = api.put("config/bookmarks/", json={"completion": 2, "bogus": 1})
    assert response.status_code == 400
    assert set(body(response)["error"]["fields"]) == {"completion", "bogus"}
    assert snapshot(r) == before


@pytest.mark.parametrize(
    ("method", "path", "status", "says"),
    [
        ("get", "bookmark/u1/channel/bbc1/", 400, "cannot have a bookmark"),
        ("delete", "bookmark/u1/section/s1/", 400, "cannot have a bookmark"),
        ("get", "bookmark/u1/Movie/1/", 400, "item type"),
        ("get", "bookmark/a b/", 400, "user id"),
        ("get", "bookmark/u1/?limit=0", 400, "limit"),
        ("get", "bookmark/u1/?limit=201", 400, "limit"),
        ("get", "bookmark/u1/?cursor=bm90aGluZw", 400, "cursor"),
        ("post", "event/u1/end/channel/bbc1/", 409, "end without a start"),
        ("post", "event/u1/start/channel/bbc1/99999999999/", 400, "future"),
        ("post", "event/u1/progress/movie/m/352/", 400, "3 times"),
        ("post", "event/u1/progress/movie/m/-1/", 400, "negative"),
        ("post", "event/u1/progress/episode/e1/nan/", 400, "number"),
    ],
)
def test_bad_requests_get_a_clear_4xx_and_change_nothing(show, r, method, path, status, says):
    before = snapshot(r)
    response = getattr(show, method)(path)
    assert response.status_code == status, response.get_data(as_text=True)
    assert says in body(response)["error"]["message"]
    assert snapshot(r) == before


def test_an_end_before_its_start_changes_nothing(api, r):
    now = int(time.time())
    assert api.post(f"event/u1/start/channel/bbc1/{now - 60}/").status_code == 204
    before = snapshot(r)
    response = api.post(f"event/u1/end/channel/bbc1/{now - 120}/")
    assert response.status_code == 409
    assert "end before start" in body(response)["error"]["message"]
    response = api.post(f"event/u1/start/channel/itv/{now - 120}/")  # older than the open session
    assert response.status_code == 409
    assert snapshot(r) == before
