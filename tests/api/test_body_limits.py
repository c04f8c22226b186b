"""Every route that reads a body refuses one over its limit (issue 9, point 5): 413
`too_large`, nothing changed; a body of exactly the limit is not refused for its size. A
PUT, POST or PATCH route the app serves without an entry below fails the test, so a new
route needs a limit (and a row in the README's Limits table)."""

from __future__ import annotations

import json

import pytest

from tests.api.test_isolation import served_routes
from tests.conftest import snapshot

KIB, MIB = 1024, 1024 * 1024

#: (method, rule) -> (a path that fits it, the body limit in bytes). The README's Limits
#: table shows the same figures.
BODY_LIMITS = {
    ("PUT", "user/<id:uid>/"): ("user/u1/", 64 * KIB),
    ("POST", "user/<id:uid>/"): ("user/u1/", 64 * KIB),
    ("PATCH", "user/<id:uid>/"): ("user/u1/", 64 * KIB),
    ("POST", "user/"): ("user/", 64 * KIB),
    ("PUT", "item/<id:itemtype>/<id:itemid>/"): ("item/movie/m1/", 256 * KIB),
    ("POST", "items/"): ("items/", 16 * MIB),
    ("PUT", "schedule/<id:channelid>/"): ("schedule/c1/", 4 * MIB),
    ("POST", "events/"): ("events/", 8 * MIB),
    ("POST", "filter/<id:uid>/<id:itemtype>/"): ("filter/u1/movie/", 1 * MIB),
    ("POST", "notification/<id:uid>/<id:itemtype>/<id:itemid>/"): ("notification/u1/movie/m1/", 64 * KIB),
    ("POST", "sectiondef/"): ("sectiondef/", 16 * KIB),
    ("PUT", "sectiondef/<id:section_id>/"): ("sectiondef/1/", 16 * KIB),
    ("PUT", "config/weights/"): ("config/weights/", 64 * KIB),
    ("PUT", "config/bookmarks/"): ("config/bookmarks/", 4 * KIB),
    ("PUT", "config/recommendations/"): ("config/recommendations/", 4 * KIB),
    ("PUT", "config/sections/"): ("config/sections/", 4 * KIB),
    ("PUT", "/metax/3.0/ui/user/stat/<id:subscriber>/"): (
        "/metax/3.0/ui/user/stat/ann@example.org/",
        4 * MIB,
    ),
}

#: Write routes that read no body: an event's value is in its path; the `<path:rest>`
#: routes only explain a path that fits no route.
BODILESS = {
    ("POST", "event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/"),
    ("POST", "event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/<id:value>/"),
    ("DELETE,GET,POST", "event/<path:rest>"),
    ("DELETE,GET,PATCH,POST,PUT", "user/<path:rest>"),
}


def test_every_route_that_writes_has_a_body_limit(app):
    writing = {
        (method, rule)
        for method, rule in served_routes(app)
        if {"PUT", "POST", "PATCH"} & set(method.split(","))
    }
    missing = writing - set(BODY_LIMITS) - BODILESS
    assert not missing, f"write routes with no entry in BODY_LIMITS: {sorted(missing)}"
    assert not set(BODY_LIMITS) - writing, "entries for routes the app no longer serves"


def padded(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    shell = b'{"pad": ""}'
    return shell[:-2] + b"x" * (size - len(shell)) + shell[-2:]


def send(api, method: str, path: str, data: bytes):
    headers = {"Content-Type": "application/json"}
    if path.startswith("/"):
        headers["Authorization"] = f"Bearer {api.key}"
        return api.client.open(path, method=method, data=data, headers=headers)
    return api.open(method, path, data=data, headers=headers)


@pytest.mark.parametrize("route", sorted(BODY_LIMITS), ids=lambda route: f"{route[0]} {route[1]}")
def test_a_body_over_the_limit_is_413_and_changes_nothing(api, r, route):
    method, _ = route
    path, limit = BODY_LIMITS[route]
    assert len(padded(limit + 1)) == limit + 1
    before = snapshot(r)
    response = send(api, method, path, padded(limit + 1))
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    error = json.loads(response.get_data(as_text=True))["error"]
    assert error["code"] == "too_large" and f"{limit}" in error["message"]
    assert snapshot(r) == before
    at_limit = send(api, method, path, padded(limit))
    assert at_limit.status_code != 413, at_limit.get_data(as_text=True)[:300]
