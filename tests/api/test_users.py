"""User profiles over HTTP (seed 000 and API.md), happy paths and every bad input."""

import json

import pytest

from engine import profiles
from tests.conftest import snapshot


def body(response):
    return json.loads(response.get_data(as_text=True))


def test_put_creates_with_201_and_location_then_replaces_with_200(api):
    created = api.put("user/7/", json={"name": "Bob"})
    assert created.status_code == 201
    assert created.headers["Location"] == api.url("user/7/")
    assert body(created) == {"id": "7", "name": "Bob"}
    replaced = api.put("user/7/", json={"plan": "gold"})
    assert replaced.status_code == 200
    assert body(api.get("user/7/")) == {"id": "7", "plan": "gold"}


def test_routes_answer_with_and_without_the_trailing_slash(api):
    assert api.put("user/7", json={"a": 1}).status_code == 201
    assert api.get("user/7").status_code == 200
    assert api.get("user/7/").status_code == 200
    assert api.patch("user/7", json={"b": 2}).status_code == 200
    assert api.post("user", json={}).status_code == 201
    assert api.delete("user/7").status_code == 204


def test_numbers_and_unicode_round_trip_to_the_letter(api):
    text = '{"big":123456789012345678901234567890,"dec":1.10,"tiny":1E-7,"s":"é☃𝄞\\u0000","neg":-0.0}'
    api.put("user/7/", data=text, content_type="application/json")
    expected = '{"id":"7","big":123456789012345678901234567890,"dec":1.10,"neg":-0.0,"s":"é☃𝄞\\u0000",'
    assert api.get("user/7/").get_data(as_text=True) == expected + '"tiny":1E-7}'


def test_post_user_creates_with_a_server_id(api):
    response = api.post("user/", json={"name": "Ann"})
    assert response.status_code == 201
    uid = body(response)["id"]
    assert 1 <= len(uid) <= 32
    assert response.headers["Location"] == api.url(f"user/{uid}/")
    assert body(api.get(f"user/{uid}/")) == {"id": uid, "name": "Ann"}


def test_post_user_without_a_body_creates_an_empty_profile(api):
    response = api.post("user/")
    assert response.status_code == 201
    assert body(response) == {"id": body(response)["id"]}


def test_patch_and_post_update_by_merge_patch(api):
    api.put("user/7/", json={"prefs": {"lang": "en", "hd": True}, "drop": 1})
    response = api.patch(
        "user/7/",
        json={"prefs": {"hd": None}, "drop": None, "new": 1},
        content_type="application/merge-patch+json",
    )
    assert response.status_code == 200
    assert body(response) == {"id": "7", "new": 1, "prefs": {"lang": "en"}}
    response = api.post("user/7/", json={"prefs": {"subs": "fr"}})
    assert response.status_code == 200
    assert body(api.get("user/7/")) == {"id": "7", "new": 1, "prefs": {"lang": "en", "subs": "fr"}}


def test_etag_and_if_none_match_answer_304(api):
    etag = api.put("user/7/", json={"a": 1}).headers["ETag"]
    assert api.get("user/7/").headers["ETag"] == etag
    not_modified = api.get("user/7/", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["ETag"] == etag
    assert not_modified.get_data() == b""
    assert api.get("user/7/", headers={"If-None-Match": f'W/{etag}, "zz"'}).status_code == 304
    assert api.get("user/7/", headers={"If-None-Match": '"other"'}).status_code == 200
    api.patch("user/7/", json={"a": 2})
    assert api.get("user/7/", headers={"If-None-Match": etag}).status_code == 200


def test_if_match_makes_writes_conditional(api, r):
    etag = api.put("user/7/", json={"a": 1}).headers["ETag"]
    before = snapshot(r)
    for method in ("put", "patch", "post"):
        refused = getattr(api, method)("user/7/", json={"a": 2}, headers={"If-Match": '"stale"'})
        assert refused.status_code == 412
        assert body(refused)["error"]["code"] == "precondition_failed"
    assert snapshot(r) == before
    ok = api.patch("user/7/", json={"a": 2}, headers={"If-Match": etag})
    assert ok.status_code == 200
    assert api.put("user/7/", json={"a": 3}, headers={"If-Match": "*"}).status_code == 200
    assert api.put("user/8/", json={"a": 3}, headers={"If-Match": "*"}).status_code == 412


def test_if_none_match_star_creates_but_never_replaces(api):
    assert api.put("user/7/", json={"a": 1}, headers={"If-None-Match": "*"}).status_code == 201
    assert api.put("user/7/", json={"a": 2}, headers={"If-None-Match": "*"}).status_code == 412
    assert body(api.get("user/7/"))["a"] == 1
    assert api.put("user/7/", json={"a": 2}, headers={"If-None-Match": '"x"'}).status_code == 400
    assert api.patch("user/7/", json={"a": 2}, headers={"If-None-Match": "*"}).status_code == 400


def test_delete_deactivates_and_put_recreates(api):
    api.put("user/7/", json={"a": 1})
    assert api.delete("user/7/").status_code == 204
    assert api.get("user/7/").status_code == 404
    assert api.delete("user/7/").status_code == 404
    assert api.patch("user/7/", json={"a": 2}).status_code == 404
    assert api.post("user/7/", json={"a": 2}).status_code == 404
    assert api.put("user/7/", json={"b": 2}).status_code == 201
    assert body(api.get("user/7/")) == {"id": "7", "b": 2}


def test_purge_erases_everything_and_is_idempotent(api, r):
    api.put("user/7/", json={"a": 1})
    assert api.delete("user/7/?purge=true").status_code == 204
    assert not any("{acme:7}" in name for name in r.keys("*"))
    assert api.delete("user/7/?purge=true").status_code == 204
    assert api.delete("user/7/?purge=maybe").status_code == 400


def test_profiles_of_one_service_are_invisible_to_another(api, other_api):
    api.put("user/7/", json={"secret": 1})
    assert other_api.get("user/7/").status_code == 404
    assert other_api.patch("user/7/", json={"x": 1}).status_code == 404
    assert other_api.delete("user/7/").status_code == 404
    other_api.put("user/7/", json={"mine": 2})
    other_api.delete("user/7/?purge=true")
    assert body(api.get("user/7/")) == {"id": "7", "secret": 1}


def test_body_id_equal_to_the_url_id_is_accepted(api):
    assert api.put("user/7/", json={"id": "7", "a": 1}).status_code == 201
    assert api.put("user/8/", json={"id": 8}).status_code == 201
    assert api.patch("user/7/", json={"id": "7", "b": 2}).status_code == 200
    assert body(api.get("user/7/")) == {"id": "7", "a": 1, "b": 2}


BIG = "x" * (profiles.MAX_BYTES + 1)

BAD_REQUESTS = [
    # (method, path, kwargs, status, code)
    ("put", "user/7/", {"data": "[1, 2]", "content_type": "application/json"}, 400, "invalid_json"),
    ("put", "user/7/", {"data": '"text"', "content_type": "application/json"}, 400, "invalid_json"),
    ("put", "user/7/", {"data": "null", "content_type": "application/json"}, 400, "invalid_json"),
    ("put", "user/7/", {"data": "12", "content_type": "application/json"}, 400, "invalid_json"),
    (
        "put",
        "user/7/",
        {"data": b'{"a": "\xff\xfe"}', "content_type": "application/json"},
        400,
        "invalid_json",
    ),
    ("put", "user/7/", {"data": '{"a": 1,}', "content_type": "application/json"}, 400, "invalid_json"),
    ("put", "user/7/", {"data": '{"a": NaN}', "content_type": "application/json"}, 400, "invalid_json"),
    ("put", "user/7/", {"data": '{"a": "\\udc00"}', "content_type": "application/json"}, 400, "invalid_json"),
    ("put", "user/7/", {"data": "[" * 5000, "content_type": "application/json"}, 400, "invalid_json"),
    ("put", "user/7/", {}, 400, "invalid_json"),
    ("put", "user/" + "x" * 33 + "/", {"json": {}}, 400, "invalid_value"),
    ("put", "user//", {"json": {}}, 400, "invalid_value"),
    ("put", "user/a/b/", {"json": {}}, 400, "invalid_value"),
    ("put", "user/a%2Fb/", {"json": {}}, 400, "invalid_value"),
    ("put", "user/a%20b/", {"json": {}}, 400, "invalid_value"),
    ("put", "user/a%00b/", {"json": {}}, 400, "invalid_value"),
    ("put", "user/a%0Ab/", {"json": {}}, 400, "invalid_value"),
    ("put", "user/a%7Bb%7D/", {"json": {}}, 400, "invalid_value"),
    ("get", "user/" + "x" * 33 + "/", {}, 400, "invalid_value"),
    ("get", "user/a%20b/", {}, 400, "invalid_value"),
    ("patch", "user/a%09b/", {"json": {}}, 400, "invalid_value"),
    ("delete", "user//", {}, 400, "invalid_value"),
    ("put", "user/7/", {"json": {"_private": 1}}, 400, "invalid_value"),
    ("put", "user/7/", {"json": {"id": "8"}}, 400, "invalid_value"),
    ("post", "user/", {"json": {"id": "mine"}}, 400, "invalid_value"),
    ("post", "user/", {"json": {"_x": 1}}, 400, "invalid_value"),
    ("put", "user/7/", {"json": {"a": BIG}}, 413, "too_large"),
    ("post", "user/", {"json": {"a": BIG}}, 413, "too_large"),
    ("put", "user/7/", {"data": "{}", "content_type": "text/plain"}, 415, "unsupported_media_type"),
    (
        "put",
        "user/7/",
        {"data": "a=1", "content_type": "application/x-www-form-urlencoded"},
        415,
        "unsupported_media_type",
    ),
    (
        "put",
        "user/7/",
        {"data": "{}", "content_type": "application/json; charset=latin-1"},
        415,
        "unsupported_media_type",
    ),
    ("patch", "user/7/", {"json": {"a": 1}}, 404, "not_found"),
    ("post", "user/7/", {"json": {"a": {"b": 1}}}, 404, "not_found"),
    ("get", "user/7/", {}, 404, "not_found"),
    ("delete", "user/7/", {}, 404, "not_found"),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    BAD_REQUESTS,
    ids=[f"{m} {p[:20]} {s}" for m, p, _, s, _ in BAD_REQUESTS],
)
def test_bad_requests_get_a_clear_error_and_change_nothing(api, r, method, path, kwargs, status, code):
    api.put("user/other/", json={"keep": 1})
    before = snapshot(r)
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = body(response)["error"]
    assert (error["status"], error["code"]) == (status, code)
    assert error["message"] and api.key not in error["message"]
    assert snapshot(r) == before


def test_bad_bodies_on_an_existing_user_change_nothing(api, r):
    api.put("user/7/", json={"keep": 1})
    before = snapshot(r)
    cases = [
        ("patch", {"json": {"_x": None}}, 400),
        ("patch", {"json": {"id": None}}, 400),
        ("patch", {"json": {"id": "8"}}, 400),
        ("patch", {"data": "[]", "content_type": "application/json"}, 400),
        ("patch", {"data": "{}", "content_type": "text/plain"}, 415),
        ("patch", {"json": {"a": BIG}}, 413),
        ("post", {"json": {"a": "y" * (profiles.MAX_BYTES - 5)}}, 413),
        ("put", {"data": b"\xc3\x28", "content_type": "application/json"}, 400),
        ("put", {"json": {"id": "7", "_meta": 1}}, 400),
    ]
    for method, kwargs, status in cases:
        response = getattr(api, method)("user/7/", **kwargs)
        assert response.status_code == status, (method, kwargs)
    assert snapshot(r) == before


def test_bodies_over_the_limit_are_refused_before_parsing(api):
    response = api.put("user/7/", data="{" + " " * profiles.MAX_BYTES + "}", content_type="application/json")
    assert response.status_code == 413
    assert "65536" in body(response)["error"]["message"]


def test_numbers_come_back_character_for_character(api):
    text = '{"a":1e5,"b":0.0000001,"c":-0,"d":100e-2,"e":2.50E+3}'
    api.put("user/7/", data=text, content_type="application/json")
    assert api.get("user/7/").get_data(as_text=True) == '{"id":"7",' + text[1:]


@pytest.mark.parametrize(
    "header", ['"*"', 'W/"x", *', '"zz {etag}"', 'W/"{etag}"', '"{upper}"', "garbage", '""', '"", ""', ","]
)
def test_if_match_values_that_are_not_this_etag_never_match(api, r, header):
    etag = api.put("user/7/", json={"a": 1}).headers["ETag"].strip('"')
    value = header.format(etag=etag, upper=etag.upper())
    before = snapshot(r)
    for method in ("put", "patch", "post"):
        response = getattr(api, method)("user/7/", json={"a": 2}, headers={"If-Match": value})
        assert response.status_code == 412, (method, value)
    assert api.delete("user/7/", headers={"If-Match": value}).status_code == 412
    assert api.get("user/7/", headers={"If-Match": value}).status_code == 412
    assert snapshot(r) == before


def test_if_match_on_delete_and_get(api):
    etag = api.put("user/7/", json={"a": 1}).headers["ETag"]
    assert api.get("user/7/", headers={"If-Match": etag}).status_code == 200
    assert api.delete("user/7/", headers={"If-Match": f'"0000000000000000", {etag}'}).status_code == 204
    assert api.get("user/7/").status_code == 404
    api.put("user/8/", json={})
    assert api.delete("user/8/?purge=true", headers={"If-Match": "*"}).status_code == 400
    assert api.get("user/8/").status_code == 200


def test_post_user_with_if_match_cannot_hold(api, r):
    before = snapshot(r)
    assert api.post("user/", json={}, headers={"If-Match": "*"}).status_code == 412
    assert snapshot(r) == before


def test_if_none_match_star_recreates_a_deactivated_user(api):
    api.put("user/7/", json={"a": 1})
    api.delete("user/7/")
    assert api.put("user/7/", json={"b": 2}, headers={"If-None-Match": "*"}).status_code == 201
    assert body(api.get("user/7/")) == {"id": "7", "b": 2}


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"data": b"\x0b\x0c", "content_type": "text/plain"}, 415),
        ({"data": b"   ", "content_type": "image/png"}, 415),
        ({"data": b" \n ", "content_type": "application/json"}, 400),
        (
            {
                "data": b'{"a": 1}',
                "content_type": "application/json",
                "headers": {"Content-Encoding": "gzip"},
            },
            415,
        ),
    ],
)
def test_a_body_that_is_not_plain_json_creates_nothing(api, r, kwargs, status):
    before = snapshot(r)
    assert api.post("user/", **kwargs).status_code == status
    assert snapshot(r) == before


@pytest.mark.parametrize("uid", [".", "..", "%2E", "%2E%2E"])
def test_dot_ids_are_refused(api, r, uid):
    before = snapshot(r)
    response = api.put(f"user/{uid}/", json={})
    assert response.status_code == 400
    assert "URLs cannot carry" in body(response)["error"]["message"]
    assert snapshot(r) == before


def test_a_numeric_id_equal_to_the_url_id_is_accepted_at_any_length(api):
    assert (
        api.put(
            "user/1234567890123456789/", data='{"id": 1234567890123456789}', content_type="application/json"
        ).status_code
        == 201
    )
    assert api.put("user/-0/", data='{"id": -0}', content_type="application/json").status_code == 201
    assert api.put("user/-0/", data='{"id": 0}', content_type="application/json").status_code == 400


def test_if_none_match_is_refused_where_it_cannot_apply(api, r):
    api.put("user/7/", json={"a": 1})
    before = snapshot(r)
    assert api.post("user/", json={}, headers={"If-None-Match": "*"}).status_code == 400
    assert api.delete("user/7/", headers={"If-None-Match": '"abc"'}).status_code == 400
    assert api.delete("user/7/?purge=true", headers={"If-None-Match": "*"}).status_code == 400
    assert snapshot(r) == before
