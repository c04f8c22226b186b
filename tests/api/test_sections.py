"""Section definitions over HTTP (seed 002 "Section Definition"; API.md "Section lists")."""

import json

import pytest

from tests.conftest import Api, make_key, snapshot

EDITORS = {
    "type": "URL",
    "weight": 50,
    "url": "http://tanktop.tv/api/1/12345/collection/14",
    "name": "Editor's picks",
}
BECAUSE = {"type": "BecauseYouWatched", "weight": 40, "name": "Because you watched {0}"}


def body(response):
    return json.loads(response.get_data(as_text=True))


def test_definitions_are_created_listed_replaced_and_deleted(api, other_api):
    made = api.post("sectiondef/", json=EDITORS)
    assert made.status_code == 201
    assert body(made) == {"id": "1", **EDITORS, "count": 1}
    second = body(api.post("sectiondef/", json={**BECAUSE, "count": 3}))
    assert second["id"] == "2" and second["count"] == 3
    assert [d["id"] for d in body(api.get("sectiondef/"))["sectiondefs"]] == ["1", "2"]
    assert body(other_api.get("sectiondef/"))["sectiondefs"] == []  # per service

    changed = api.put("sectiondef/2/", json={**BECAUSE, "weight": 45.5})
    assert changed.status_code == 200 and body(changed)["weight"] == 45.5
    assert body(api.get("sectiondef/"))["sectiondefs"][1] == {
        "id": "2",
        **BECAUSE,
        "weight": 45.5,
        "count": 1,
    }

    assert api.delete("sectiondef/1/").status_code == 204
    assert api.delete("sectiondef/?id=2").status_code == 204
    assert body(api.get("sectiondef/"))["sectiondefs"] == []
    assert api.delete("sectiondef/2/").status_code == 404
    assert body(api.post("sectiondef/", json=EDITORS))["id"] == "3"  # ids are never reused


def test_every_type_and_a_pinned_weight(api):
    for kind in ("Category", "BecauseYouActor", "Watchlist", "CurrentlyWatching"):
        assert api.post("sectiondef/", json={"type": kind, "weight": -1, "name": "Row"}).status_code == 201
    assert (
        api.post("sectiondef/", json={"type": "Watchlist", "name": "Your list"}).status_code == 201
    )  # weight 0


def test_free_keys_get_403_with_a_message(app, r):
    free = Api(app.test_client(), make_key(r, service="small", plan="free"))
    for method, path in (
        ("post", "sectiondef/"),
        ("get", "sectiondef/"),
        ("put", "sectiondef/1/"),
        ("delete", "sectiondef/1/"),
    ):
        found = free.open(method.upper(), path, json=EDITORS)
        assert found.status_code == 403
        assert "commercial" in body(found)["error"]["message"]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({**EDITORS, "type": "Popular"}, "type"),
        ({k: v for k, v in EDITORS.items() if k != "type"}, "type"),
        ({k: v for k, v in EDITORS.items() if k != "url"}, "url"),
        ({**EDITORS, "weight": "high"}, "weight"),
        ({**EDITORS, "weight": True}, "weight"),
        ({**EDITORS, "weight": None}, "weight"),
        ({**EDITORS, "weight": -1.5}, "weight"),
        ({**EDITORS, "weight": 1e300}, "weight"),
        ({**BECAUSE, "count": 0}, "count"),
        ({**BECAUSE, "count": -2}, "count"),
        ({**BECAUSE, "count": 1.5}, "count"),
        ({**BECAUSE, "count": "2"}, "count"),
        ({**BECAUSE, "count": 21}, "count"),
        ({**EDITORS, "count": 2}, "count"),
        ({**BECAUSE, "name": "Because you watched {1}"}, "name"),
        ({**BECAUSE, "name": "Because you watched {title}"}, "name"),
        ({**BECAUSE, "name": "Because you watched {0"}, "name"),
        ({**BECAUSE, "name": "Because {}"}, "name"),
        ({**EDITORS, "url": "/url/{user}/info"}, "url"),
        ({**EDITORS, "name": "Picks for {0}"}, "name"),
        ({**BECAUSE, "url": "/x/"}, "url"),
        ({**BECAUSE, "name": ""}, "name"),
        ({**BECAUSE, "name": 7}, "name"),
        ({k: v for k, v in BECAUSE.items() if k != "name"}, "name"),
        ({**BECAUSE, "colour": "red"}, "colour"),
        ({**EDITORS, "url": "javascript:alert(1)"}, "url"),
        ({**EDITORS, "url": "http://x/\r\nX-Injected: 1"}, "url"),
        ({**EDITORS, "url": "not a url"}, "url"),
        ({**EDITORS, "url": "//evil.example/x"}, "url"),
        ({**EDITORS, "url": "http://"}, "url"),
        ({**EDITORS, "url": "https://:80/x"}, "url"),
        ({**EDITORS, "url": "http://[::1/x"}, "url"),
        ({**BECAUSE, "name": "a\u0000b"}, "name"),
        ({**BECAUSE, "name": "\u200b"}, "name"),
        ({**BECAUSE, "name": "\u202eevil"}, "name"),
        ({**EDITORS, "weight": 1e-320}, "weight"),
        ({**EDITORS, "weight": 1000001}, "weight"),
    ],
)
def test_bad_definitions_are_refused_and_change_nothing(api, r, doc, field):
    api.post("sectiondef/", json=EDITORS)
    before = snapshot(r)
    for method, path in (("post", "sectiondef/"), ("put", "sectiondef/1/")):
        found = api.open(method.upper(), path, json=doc)
        assert found.status_code == 400, (method, doc)
        assert field in body(found)["error"]["fields"]
    assert snapshot(r) == before


@pytest.mark.parametrize("bad", [[], "x", 5, None])
def test_a_body_that_is_not_an_object_is_refused(api, r, bad):
    before = snapshot(r)
    assert api.post("sectiondef/", json=bad).status_code == 400
    assert snapshot(r) == before


def test_unknown_and_malformed_ids_are_404_and_a_mismatched_body_id_400(api, r):
    api.post("sectiondef/", json=EDITORS)
    before = snapshot(r)
    for path in (
        "sectiondef/9/",
        "sectiondef/abc/",
        "sectiondef/-1/",
        f"sectiondef/{'9' * 40}/",
        "sectiondef/%C2%B2/",
    ):
        assert api.put(path, json=EDITORS).status_code == 404, path
        assert api.delete(path).status_code == 404, path
    assert api.delete("sectiondef/").status_code == 400  # which one?
    assert api.put("sectiondef/1/", json={**EDITORS, "id": "2"}).status_code == 400
    assert snapshot(r) == before
    assert api.put("sectiondef/1/", json={**EDITORS, "id": "1"}).status_code == 200


def test_huge_numbers_are_refused_at_once(api, r):
    for text in ('"count": 1e999999999999', '"weight": -1e999999999999', '"count": 1e-999999999999'):
        found = api.post(
            "sectiondef/",
            data='{"type": "Category", "name": "x", ' + text + "}",
            content_type="application/json",
        )
        assert found.status_code == 400


def test_ids_have_one_spelling_and_post_takes_none(api, r):
    api.post("sectiondef/", json=EDITORS)
    before = snapshot(r)
    for path in ("sectiondef/01/", "sectiondef/00001/"):
        assert api.delete(path).status_code == 404
    for query in ("?id=01", "?id=", "?id", "?id=1&id=2"):
        assert api.delete(f"sectiondef/{query}").status_code in (400, 404), query
    assert api.delete("sectiondef/?id=1&id=2").status_code == 400
    assert api.put("sectiondef/1/", json={**EDITORS, "id": 1}).status_code == 400  # ids are strings
    found = api.post("sectiondef/", json={**EDITORS, "id": "77"})
    assert found.status_code == 400 and "id" in body(found)["error"]["fields"]
    assert snapshot(r) == before


def test_ids_past_14_digits_are_stored_as_given(api, r):
    from engine import keys

    r.set(keys.section_def_ids("acme"), 99_999_999_999_999)
    made = [body(api.post("sectiondef/", json=EDITORS))["id"] for _ in range(2)]
    assert made == ["100000000000000", "100000000000001"]
    assert [d["id"] for d in body(api.get("sectiondef/"))["sectiondefs"]] == made


def test_at_most_100_definitions(api, r, monkeypatch):
    from engine import sections

    monkeypatch.setattr(sections, "MAX_DEFS", 3)
    for _ in range(3):
        assert api.post("sectiondef/", json=EDITORS).status_code == 201
    before = snapshot(r)
    found = api.post("sectiondef/", json=EDITORS)
    assert found.status_code == 400 and "at most 3" in body(found)["error"]["message"]
    assert snapshot(r) == before
