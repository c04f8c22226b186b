"""Notification requests over HTTP (seed 000 "Notifications", API.md "Notifications")."""

import json

import pytest

from tests.conftest import snapshot

HOOK = "https://hooks.example.com/tell"
FORM = "application/x-www-form-urlencoded"


def body(response):
    return json.loads(response.get_data(as_text=True))


def test_the_seed_example_to_the_letter(api):
    response = api.post(
        "notification/7/movie/1/",
        data='{\n    "source_id" : [7, 37, 28], "url": "http://example.com/notification"\n}',
        content_type="application/json",
    )
    assert response.status_code == 204 and response.get_data() == b""
    response = api.get("notification/7/")
    assert response.status_code == 200
    assert body(response) == {
        "notifications": [
            {
                "url": "http://example.com/notification",
                "notified": False,
                "price": None,
                "item_type": "movie",
                "source_id": [7, 37, 28],
                "item_id": 1,
                "hd": False,
                "delivery": None,
            }
        ]
    }


def test_a_form_encoded_request(api):
    response = api.post(
        "notification/7/programme/p1/",
        data="url=https%3A%2F%2Fhooks.example.com%2Ftell&source_id=7&source_id=netflix,28&price=300&hd=true",
        content_type=FORM,
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    (entry,) = body(api.get("notification/7/programme/p1/"))["notifications"]
    assert (entry["source_id"], entry["price"], entry["hd"], entry["item_id"]) == (
        [7, "netflix", 28],
        300,
        True,
        "p1",
    )


def test_posting_again_replaces_the_request(api):
    api.post("notification/7/movie/1/", json={"url": HOOK, "price": 500})
    api.post("notification/7/movie/1/", json={"url": HOOK, "hd": True})
    (entry,) = body(api.get("notification/7/movie/1/"))["notifications"]
    assert (entry["price"], entry["hd"]) == (None, True)


def test_the_three_gets_and_the_three_deletes(api, other_api):
    for item_type, item_id in [("movie", "1"), ("movie", "2"), ("programme", "p1"), ("team", "arsenal")]:
        assert api.post(f"notification/7/{item_type}/{item_id}/", json={"url": HOOK}).status_code == 204
    api.post("notification/8/movie/1/", json={"url": HOOK})

    def ids(path, client=api):
        return sorted(str(entry["item_id"]) for entry in body(client.get(path))["notifications"])

    assert ids("notification/7/") == ["1", "2", "arsenal", "p1"]
    assert ids("notification/7/movie/") == ["1", "2"]
    assert ids("notification/7/movie/2/") == ["2"]
    assert ids("notification/7/movie/3/") == []
    assert ids("notification/7/", other_api) == []  # another service sees nothing
    assert api.delete("notification/7/movie/2/").status_code == 204
    assert api.delete("notification/7/movie/2/").status_code == 204  # nothing left: still 204
    assert ids("notification/7/") == ["1", "arsenal", "p1"]
    assert api.delete("notification/7/movie/").status_code == 204
    assert ids("notification/7/") == ["arsenal", "p1"]
    assert api.delete("notification/7/").status_code == 204
    assert ids("notification/7/") == []
    assert ids("notification/8/") == ["1"]


def test_listings_page_through_link_headers(api):
    for n in range(7):
        api.post(f"notification/7/movie/{n}/", json={"url": HOOK})
    seen, url = [], api.url("notification/7/?limit=3")
    while url:
        response = api.client.get(url)
        seen += [entry["item_id"] for entry in body(response)["notifications"]]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace("http://localhost", "") if link else None
    assert sorted(seen) == list(range(7)) and len(seen) == 7
    assert api.get("notification/7/?limit=0").status_code == 400
    assert api.get("notification/7/?cursor=xyz").status_code == 400


def test_a_request_for_an_available_item_is_handed_to_the_workers(api, enqueued):
    api.put("item/movie/1/", json={"availability": [{"source_id": 7, "price": 100}]})
    api.post("notification/7/movie/1/", json={"url": HOOK, "price": 50})
    assert enqueued == []
    api.post("notification/7/movie/1/", json={"url": HOOK, "price": 100})
    assert [service for service, _ in enqueued] == ["acme"]
    entry = body(api.get("notification/7/"))["notifications"][0]
    assert entry["delivery"]["status"] == "pending"
    assert entry["delivery"]["webhook_id"].startswith("msg_")


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("notification/7/movie/1/", {"json": {}}),
        ("notification/7/movie/1/", {"json": {"url": "ftp://example.com/"}}),
        ("notification/7/movie/1/", {"json": {"url": "example.com"}}),
        ("notification/7/movie/1/", {"json": {"url": "http://127.0.0.1:8000/"}}),
        ("notification/7/movie/1/", {"json": {"url": "http://10.0.0.1/"}}),
        ("notification/7/movie/1/", {"json": {"url": "http://[::ffff:127.0.0.1]/"}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "price": -1}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "price": 9.99}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "price": "cheap"}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "hd": "yes"}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "hd": 1}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "source_id": 7}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "source_id": ["a/b"]}}),
        ("notification/7/movie/1/", {"json": {"url": HOOK, "source_id": {"7": 1}}}),
        ("notification/7/movie/1/", {"json": [HOOK]}),
        ("notification/7/movie/1/", {"data": "{", "content_type": "application/json"}),
        ("notification/7/movie/1/", {"data": "url=ftp://x", "content_type": FORM}),
        ("notification/7/movie/1/", {"data": "price=-3&url=" + HOOK, "content_type": FORM}),
        ("notification/7/movie/1/", {"data": "hd=maybe&url=" + HOOK, "content_type": FORM}),
        ("notification/7/movie/1/", {"data": "url=a&url=b", "content_type": FORM}),
        ("notification/7/movie/1/", {"data": b"url=\xff", "content_type": FORM}),
        ("notification/7/movie/1/", {"data": "url=" + HOOK, "content_type": "text/plain"}),
        ("notification/7/episode/1/", {"json": {"url": HOOK}}),
        ("notification/7/channel/1/", {"json": {"url": HOOK}}),
        ("notification/7/Movie/1/", {"json": {"url": HOOK}}),
        ("notification/a%20b/movie/1/", {"json": {"url": HOOK}}),
        ("notification/7/movie/a%2Fb/", {"json": {"url": HOOK}}),
    ],
)  # fmt: skip
def test_bad_requests_get_a_clear_4xx_and_change_nothing(api, r, path, kwargs):
    api.post("notification/7/movie/1/", json={"url": HOOK, "price": 100})
    before = snapshot(r)
    response = api.post(path, **kwargs)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    error = body(response)["error"]
    assert error["status"] == response.status_code and error["message"]
    assert snapshot(r) == before


@pytest.mark.parametrize(
    "path", ["notification/7/episode/", "notification/7/section/1/", "notification/a%20b/"]
)
def test_bad_paths_on_get_and_delete(api, r, path):
    before = snapshot(r)
    assert api.get(path).status_code == 400
    assert api.delete(path).status_code == 400
    assert snapshot(r) == before


def test_huge_numbers_get_a_quick_400(api, r):
    before = snapshot(r)
    for kwargs in (
        {"data": f'{{"url": "{HOOK}", "price": 1e999999999}}', "content_type": "application/json"},
        {"data": f"url={HOOK}&price={'9' * 5000}", "content_type": FORM},
        {"data": f"url={HOOK}&source_id={'9' * 5000}", "content_type": FORM},
    ):
        response = api.post("notification/7/movie/1/", **kwargs)
        assert response.status_code == 400, response.get_data(as_text=True)
    response = api.put(
        "item/movie/1/", data='{"programme_id": "p", "episode": 1e999999999}', content_type="application/json"
    )
    assert response.status_code == 400
    assert snapshot(r) == before


def test_json_arrays_are_not_single_values(api, r):
    before = snapshot(r)
    response = api.post(
        "notification/7/movie/1/", json={"url": ["junk", HOOK], "price": ["x", 5], "hd": [True]}
    )
    assert response.status_code == 400
    assert set(body(response)["error"]["fields"]) == {"url", "price", "hd"}
    assert snapshot(r) == before


def test_any_json_content_type_is_json(api):
    response = api.post(
        "notification/7/movie/1/", data=f'{{"url": "{HOOK}"}}', content_type="application/vnd.acme+json"
    )
    assert response.status_code == 204
