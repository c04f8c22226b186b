"""Users' section lists over HTTP (seed 002 "Section Instance", "Events and Scoring"; API.md
"Section lists")."""

import json
import time

import pytest

from tests.conftest import Api, make_key, snapshot

EDITORS = {"type": "URL", "weight": 50, "url": "http://tanktop.tv/api/1/12345/collection/14",
           "name": "Editor's picks"}  # fmt: skip
BECAUSE = {"type": "BecauseYouWatched", "weight": 40, "name": "Because you watched {0}"}


def body(response):
    return json.loads(response.get_data(as_text=True))


def world(api):
    """Programme 315 "Star Trek", liked by viewers who liked movies 1-3; Bob has seen it."""
    assert api.put("item/programme/315/", json={"name": "Star Trek"}).status_code in (200, 201)
    for viewer in ("v1", "v2", "v3"):
        for path in ("programme/315", "movie/1", "movie/2", "movie/3"):
            answer = api.post(f"event/{viewer}/seen/{path}/", query_string={"ts": 1_700_000_000})
            assert answer.status_code == 204
    assert api.post("event/bob/seen/programme/315/").status_code == 204
    assert api.post("sectiondef/", json=EDITORS).status_code == 201
    assert api.post("sectiondef/", json=BECAUSE).status_code == 201


def sections_of(api, user="bob"):
    answer = api.get(f"sectionlist/user/{user}/")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return body(answer)["sections"]


def test_a_users_section_list_as_the_seed_shows_it(api):
    world(api)
    editors, because = sections_of(api)
    assert editors == {"id": editors["id"], "type": "URL", "score": 50, "basis": None,
                       "name": "Editor's picks", "url": EDITORS["url"]}  # fmt: skip
    assert because == {
        "id": because["id"],
        "type": "BecauseYouWatched",
        "score": 40,
        "basis": {"item_type": "programme", "item_id": 315},
        "name": "Because you watched Star Trek",
        "url": f"/api/1/{api.key}/section/{because['id']}/",
    }
    assert isinstance(because["id"], int) and because["id"] != editors["id"]
    assert sections_of(api) == [editors, because]  # the same ids every time


def test_section_events_reorder_the_list(api):
    world(api)
    editors, because = sections_of(api)
    for n in range(3):  # +5 each (one event a time: a repeat at the same time is a retry)
        at = {"ts": int(time.time()) - 10 + n}
        assert api.post(f"event/bob/consumed/section/{because['id']}/", query_string=at).status_code == 204
    assert api.post(f"event/bob/rated/section/{editors['id']}/-4/").status_code == 204  # 1 x -4
    assert [s["type"] for s in sections_of(api)] == ["BecauseYouWatched", "URL"]
    scores = {s["type"]: s["score"] for s in sections_of(api)}
    assert scores["BecauseYouWatched"] == pytest.approx(55, abs=0.01)
    assert scores["URL"] == pytest.approx(46, abs=0.01)
    listed = body(api.get("event/bob/consumed/section/", query_string={"id": str(because["id"])}))
    assert listed == {"consumed": {str(because["id"]): None}}  # stored as events too


def test_a_sections_items(api):
    world(api)
    editors, because = sections_of(api)
    answer = api.get(f"section/{because['id']}/")
    assert answer.status_code == 200
    found = body(answer)
    assert found["user_id"] == "bob" and found["name"] == "Because you watched Star Trek"
    assert found["items"] == [{"item_type": "movie", "item_id": i} for i in ("1", "2", "3")]
    assert api.post("event/bob/hide/movie/2/").status_code == 204
    assert [i["item_id"] for i in body(api.get(f"section/{because['id']}/"))["items"]] == ["1", "3"]
    url_section = api.get(f"section/{editors['id']}/")
    assert url_section.status_code == 404 and EDITORS["url"] in body(url_section)["error"]["message"]


@pytest.mark.parametrize("instance", ["999", "0", "007", "abc", "1.0", "9" * 30])
def test_unknown_sections_are_404(api, instance):
    world(api)
    sections_of(api)
    answer = api.get(f"section/{instance}/")
    assert answer.status_code == 404 and body(answer)["error"]["code"] == "not_found"


def test_events_on_sections_the_user_was_not_given_are_404_and_change_nothing(api):
    world(api)
    assert api.post("event/ann/seen/programme/315/").status_code == 204
    bobs = {s["type"]: s["id"] for s in sections_of(api, "bob")}
    sections_of(api, "ann")
    before = snapshot(api.client.application.extensions["tanktop"].redis)
    for path in (
        f"event/ann/consumed/section/{bobs['BecauseYouWatched']}/",  # Bob's
        "event/ann/consumed/section/123456/",
        "event/nobody/displayed/section/1/",
        f"event/ann/rated/section/{bobs['URL']}/5/",
    ):
        answer = api.post(path)
        assert answer.status_code == 404, path
        assert "sectionlist/user/" in body(answer)["error"]["message"]
    batch = api.post("events/", json=[
        {"user_id": "ann", "event": "detail", "item_type": "section", "item_id": str(bobs["URL"])},
    ])  # fmt: skip
    assert body(batch)["stored"] == 0 and body(batch)["errors"][0]["index"] == 0
    assert snapshot(api.client.application.extensions["tanktop"].redis) == before


def test_a_batch_stores_good_section_events_beside_bad_ones(api):
    world(api)
    because = sections_of(api)[1]["id"]
    lines = [
        {"user_id": "bob", "event": "detail", "item_type": "section", "item_id": "777777"},
        {"user_id": "bob", "event": "detail", "item_type": "section", "item_id": because},  # as shown
        {"user_id": "bob", "event": "seen", "item_type": "movie", "item_id": "1"},
    ]
    answer = body(api.post("events/", json=lines))
    assert answer["stored"] == 2 and [e["index"] for e in answer["errors"]] == [0]
    assert sections_of(api)[1]["score"] == pytest.approx(41, abs=0.01)


def test_section_settings(api):
    assert body(api.get("config/sections/")) == {"half_life_days": 14, "items_per_section": 20}
    changed = api.put("config/sections/", json={"items_per_section": 2})
    assert changed.status_code == 200 and body(changed)["items_per_section"] == 2
    world(api)
    because = sections_of(api)[1]["id"]
    assert len(body(api.get(f"section/{because}/"))["items"]) == 2


@pytest.mark.parametrize(
    "doc",
    [{"items_per_section": 0}, {"items_per_section": 2.5}, {"half_life_days": 0}, {"half_life_days": "7"},
     {"half_life_days": 1e300}, {"nope": 1}, [], {"items_per_section": True}],
)  # fmt: skip
def test_bad_section_settings_are_400_and_change_nothing(api, r, doc):
    before = snapshot(r)
    answer = api.put("config/sections/", json=doc)
    assert answer.status_code == 400 and body(answer)["error"]["code"] in ("invalid_value", "invalid_json")
    assert snapshot(r) == before


def test_bad_user_ids_are_400(api):
    assert api.get("sectionlist/user/a%20b/").status_code in (400, 404)
    assert api.get(f"sectionlist/user/{'x' * 33}/").status_code == 400


def test_free_keys_get_403_on_section_lists(app, r):
    free = Api(app.test_client(), make_key(r, service="small", plan="free"))
    for path in ("sectionlist/user/bob/", "section/1/", "config/sections/"):
        answer = free.get(path)
        assert answer.status_code == 403 and "commercial" in body(answer)["error"]["message"], path
    assert free.put("config/sections/", json={}).status_code == 403


def test_a_user_with_no_definitions_or_history_gets_an_empty_list(api):
    assert sections_of(api, "newbie") == []
    assert api.post("sectiondef/", json={"type": "Watchlist", "name": "Your list"}).status_code == 201
    assert sections_of(api, "newbie") == []


def test_a_put_without_an_id_is_400(api):
    answer = api.put("sectiondef/", json=EDITORS)
    assert answer.status_code == 400 and body(answer)["error"]["fields"] == {"id": ["missing"]}


def test_deleting_section_events_needs_the_users_instance(api):
    world(api)
    because = sections_of(api)[1]["id"]
    assert api.delete("event/bob/detail/section/424242/").status_code == 404
    assert api.delete(f"event/ann/detail/section/{because}/").status_code == 404
    assert api.delete(f"event/bob/detail/section/{because}/").status_code == 204
