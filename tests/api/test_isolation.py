"""Isolation between services (issue 9): for every route, a second service's key can
neither read, change nor detect the first service's data.

Service `acme` is given data on every route (the same user ids, item ids, channel ids
and section ids that the others then use). Then every route of the table below is asked,
with the same ids, by `rival` and by `blank`, two services that start empty and get the
same requests in the same order. What `rival` is answered must be what `blank` is
answered (status, body, headers that name data), or `acme`'s data showed through; and
`acme`'s keys must be exactly as they were, or a request changed them. A route the app
serves that the table does not name fails the test: a new route needs an entry here."""

from __future__ import annotations

import json
import re

from engine import learning
from tests.conftest import Api, make_key

HOOK = "https://hooks.example.com/tell"
SECTIONS = [
    {"type": "URL", "weight": 50, "url": "http://tanktop.tv/api/1/12345/collection/14", "name": "Picks"},
    {"type": "BecauseYouWatched", "weight": 40, "name": "Because you watched {0}"},
]
GUIDE = {
    "slots": [
        {"start": 1763800000, "end": 1763803600, "item_type": "movie", "item_id": "m1"},
        {"start": 1763803600, "end": 1763807200, "item_type": "movie", "item_id": "m2"},
    ]
}
METAX = "/metax/3.0/ui/user/stat/ann@example.org/"

#: (method, rule) -> the requests that exercise it: (method, path under the key, options).
#: Paths outside /api/1/<key>/ start with "/"; "{section1}" and "{section2}" stand for the
#: section instance ids acme's users were shown. Options: "bearer" sends the key as seed
#: 003's Authorization header; "chosen_id" masks the id the server chose (a new user's).
ROUTES: dict[tuple[str, str], list[tuple[str, str, dict]]] = {
    # reads first, while acme's data is all there
    ("GET", "user/<id:uid>/"): [("GET", "user/u1/", {}), ("GET", "user/nobody/", {})],
    ("GET", "event/<id:uid>/<id:event>/<id:itemtype>/"): [
        ("GET", "event/u1/seen/movie/", {}),
        ("GET", "event/u1/rated/movie/", {"query_string": {"id": ["m1", "m2"]}}),
    ],
    ("POST", "filter/<id:uid>/<id:itemtype>/"): [
        ("POST", "filter/u1/movie/", {"json": {"ids": ["m1", "m2", "m3"], "include": ["watchlist"]}}),
    ],
    ("GET", "filter/<id:uid>/<id:itemtype>/"): [
        ("GET", "filter/u1/movie/", {"query_string": {"id": ["m1", "m2", "m3"]}}),
    ],
    ("GET", "bookmark/<id:uid>/"): [("GET", "bookmark/u1/", {})],
    ("GET", "bookmark/<id:uid>/<id:itemtype>/<id:itemid>/"): [("GET", "bookmark/u1/movie/m2/", {})],
    ("GET", "item/<id:itemtype>/<id:itemid>/"): [("GET", "item/movie/m1/", {})],
    ("GET", "schedule/<id:channelid>/"): [("GET", "schedule/c1/", {})],
    ("GET", "notification/<id:uid>/"): [("GET", "notification/u1/", {})],
    ("GET", "notification/<id:uid>/<id:itemtype>/"): [("GET", "notification/u1/movie/", {})],
    ("GET", "notification/<id:uid>/<id:itemtype>/<id:itemid>/"): [("GET", "notification/u1/movie/m1/", {})],
    ("GET", "popular/<id:itemtype>/"): [("GET", "popular/movie/", {})],
    ("GET", "recommend/<id:uid>/"): [("GET", "recommend/u1/", {})],
    ("GET", "similar/<id:itemtype>/<id:itemid>/"): [("GET", "similar/movie/m1/", {})],
    ("GET", "sectiondef/"): [("GET", "sectiondef/", {})],
    ("GET", "sectionlist/user/<id:uid>/"): [("GET", "sectionlist/user/u1/", {})],
    ("GET", "section/<id:instance_id>/"): [
        ("GET", "section/{section1}/", {}),
        ("GET", "section/{section2}/", {}),
    ],
    ("GET", "config/bookmarks/"): [("GET", "config/bookmarks/", {})],
    ("GET", "config/recommendations/"): [("GET", "config/recommendations/", {})],
    ("GET", "config/sections/"): [("GET", "config/sections/", {})],
    ("GET", "config/weights/"): [("GET", "config/weights/", {})],
    ("GET", "/metax/3.0/ui/user/stat/<id:subscriber>/"): [("GET", METAX, {"bearer": True})],
    # then writes, on the same ids: acme's data must not change
    ("PATCH", "user/<id:uid>/"): [("PATCH", "user/u1/", {"json": {"age": 9}})],
    ("POST", "user/<id:uid>/"): [("POST", "user/u1/", {"json": {"age": 9}})],
    ("PUT", "user/<id:uid>/"): [("PUT", "user/u1/", {"json": {"name": "Bob"}})],
    ("POST", "user/"): [("POST", "user/", {"json": {"name": "Bob"}, "chosen_id": True})],
    ("POST", "event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/"): [
        ("POST", "event/u1/seen/movie/m2/", {}),
    ],
    ("POST", "event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/<id:value>/"): [
        ("POST", "event/u1/progress/movie/m1/5/", {}),
        ("POST", "event/u1/rated/movie/m1/1/", {}),
    ],
    ("POST", "events/"): [
        (
            "POST",
            "events/",
            {"json": [{"user_id": "u1", "event": "seen", "item_type": "movie", "item_id": "m3"}]},
        ),
    ],
    ("PUT", "item/<id:itemtype>/<id:itemid>/"): [("PUT", "item/movie/m1/", {"json": {"name": "Other"}})],
    ("POST", "items/"): [
        ("POST", "items/", {"json": [{"item_type": "movie", "item_id": "m2", "name": "X"}]})
    ],
    ("PUT", "schedule/<id:channelid>/"): [("PUT", "schedule/c1/", {"json": {"slots": []}})],
    ("POST", "notification/<id:uid>/<id:itemtype>/<id:itemid>/"): [
        ("POST", "notification/u1/movie/m1/", {"json": {"url": HOOK, "price": 100}}),
    ],
    ("POST", "sectiondef/"): [("POST", "sectiondef/", {"json": SECTIONS[1]})],
    ("PUT", "sectiondef/<id:section_id>/"): [("PUT", "sectiondef/1/", {"json": SECTIONS[1]})],
    ("PUT", "config/bookmarks/"): [("PUT", "config/bookmarks/", {"json": {"completion": 0.5}})],
    ("PUT", "config/recommendations/"): [("PUT", "config/recommendations/", {"json": {"half_life_days": 7}})],
    ("PUT", "config/sections/"): [("PUT", "config/sections/", {"json": {"items_per_section": 3}})],
    ("PUT", "config/weights/"): [("PUT", "config/weights/", {"json": {"recommendations": {"seen": 2}}})],
    ("PUT", "/metax/3.0/ui/user/stat/<id:subscriber>/"): [
        ("PUT", METAX, {"bearer": True, "json": {"favorites": ["x9"]}}),
    ],
    # deletions last
    ("DELETE", "event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/"): [
        ("DELETE", "event/u1/seen/movie/m1/", {}),
    ],
    ("DELETE", "bookmark/<id:uid>/<id:itemtype>/<id:itemid>/"): [("DELETE", "bookmark/u1/movie/m2/", {})],
    ("DELETE", "notification/<id:uid>/<id:itemtype>/<id:itemid>/"): [
        ("DELETE", "notification/u1/movie/m1/", {}),
    ],
    ("DELETE", "notification/<id:uid>/<id:itemtype>/"): [("DELETE", "notification/u1/movie/", {})],
    ("DELETE", "notification/<id:uid>/"): [("DELETE", "notification/u1/", {})],
    ("DELETE", "sectiondef/<id:section_id>/"): [("DELETE", "sectiondef/2/", {})],
    ("DELETE", "sectiondef/"): [("DELETE", "sectiondef/", {"query_string": {"id": "1"}})],
    ("DELETE", "item/<id:itemtype>/<id:itemid>/"): [("DELETE", "item/movie/m1/", {})],
    ("DELETE", "user/<id:uid>/"): [
        ("DELETE", "user/u1/", {}),
        ("DELETE", "user/u1/", {"query_string": {"purge": "true"}}),
    ],
    # paths that fit no route: explained the same way for everyone
    ("DELETE,GET,POST", "event/<path:rest>"): [("GET", "event/u1/a/b/c/d/e/f/", {})],
    ("DELETE,GET,PATCH,POST,PUT", "user/<path:rest>"): [("GET", "user/u1/x/y/", {})],
}

#: Routes that hold no service's data (no key in their path).
SERVICELESS = {
    ("GET", "/api/1/openapi.json"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/static/<path:filename>"),
}

_KEY_PREFIX = "/api/1/<apikey>/"


def served_routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        path = rule.rule.removeprefix(_KEY_PREFIX) if rule.rule.startswith(_KEY_PREFIX) else rule.rule
        if len(methods) > 1:
            found.add((",".join(methods), path))
        else:
            found.update((method, path) for method in methods)
    return found


def test_every_route_has_an_isolation_entry(app):
    missing = served_routes(app) - set(ROUTES) - SERVICELESS
    assert not missing, f"routes with no entry in ROUTES (tests/api/test_isolation.py): {sorted(missing)}"
    stale = set(ROUTES) - served_routes(app)
    assert not stale, f"entries for routes the app no longer serves: {sorted(stale)}"


def seed(api: Api, client) -> dict[str, str]:
    """acme's data on every route; returns the ids the server chose (section instances)."""
    ok = [
        api.put("user/u1/", json={"name": "Ann", "age": 40}),
        api.put("item/movie/m1/", json={"name": "Alien", "duration": 117}),
        api.put("item/movie/m2/", json={"name": "Brazil", "duration": 132}),
        api.put("item/movie/m3/", json={"name": "Casablanca", "duration": 102}),
        api.post("event/u1/seen/movie/m1/"),
        api.post("event/u1/rated/movie/m2/4/"),
        api.post("event/u1/progress/movie/m2/30/"),
        api.post("event/u1/watchlist/movie/m3/"),
        api.put("item/movie/m4/", json={"name": "Dune", "duration": 137}),
        api.put("item/movie/m5/", json={"name": "Eraserhead", "duration": 89}),
        *[
            api.post(f"event/{user}/seen/movie/{item}/")
            for user in ("u2", "u3")
            for item in ("m1", "m4", "m5")
        ],
        api.put("schedule/c1/", json=GUIDE),
        api.post("notification/u1/movie/m1/", json={"url": HOOK, "price": 500}),
        api.post("sectiondef/", json=SECTIONS[0]),
        api.post("sectiondef/", json=SECTIONS[1]),
        api.put("config/bookmarks/", json={"completion": 0.8}),
        api.put("config/recommendations/", json={"half_life_days": 30}),
        api.put("config/sections/", json={"items_per_section": 2}),
        api.put("config/weights/", json={"recommendations": {"seen": 3}}),
        client.put(METAX, json={"favorites": ["m1"]}, headers={"Authorization": f"Bearer {api.key}"}),
        api.get("sectionlist/user/u1/"),  # the last: its section instances
    ]
    for response in ok:
        assert response.status_code < 300, response.get_data(as_text=True)
    shown = [section["id"] for section in ok[-1].get_json()["sections"]]
    assert shown
    return {"section1": str(shown[0]), "section2": str(shown[-1])}


def ask(api: Api, client, method: str, path: str, options: dict):
    options = {name: value for name, value in options.items() if name != "chosen_id"}
    if options.pop("bearer", False):
        options["headers"] = {"Authorization": f"Bearer {api.key}"}
    if path.startswith("/"):
        return client.open(path, method=method, **options)
    if method == "GET":
        learning.run(api.r, seconds=60)
    return api.open(method, path, **options)


_SECONDS = re.compile(r"^1[6-9]\d{8}(\.\d+)?$")


def _plain(value):
    """The answer's body with the times of the asking moment masked."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and _SECONDS.match(str(value)):
        return "<time>"
    return value


def seen_as(response, key: str, chosen_id: bool = False) -> tuple:
    """Status, body and the headers that name data, with the asking key (and, for a user
    whose id the server chose, that id: it differs from one asking to the next) masked."""
    masks = {key: "<key>"}
    if chosen_id:
        masks[response.get_json()["id"]] = "<chosen>"

    def masked(text: str) -> str:
        for secret, mask in masks.items():
            text = text.replace(secret, mask)
        return text

    text = masked(response.get_data(as_text=True))
    try:
        content = _plain(json.loads(text)) if text else None
    except ValueError:
        content = text
    headers = {name: masked(response.headers.get(name, "")) for name in ("Location", "Link")}
    return response.status_code, content, headers


def acme_state(r) -> dict:
    """Every key of service acme (its tags start `{acme`) and its value."""
    learning.run(r, seconds=60)
    state = {}
    for name in sorted(r.keys("*")):
        if "{acme" not in name:
            continue
        kind = r.type(name)
        state[name] = r.hgetall(name) if kind == "hash" else (kind, r.dump(name))
    return state


def test_another_service_neither_reads_nor_changes_nor_detects(app, r):
    client = app.test_client()
    acme = Api(client, make_key(r, service="acme"), r)
    rival = Api(client, make_key(r, service="rival"), r)
    blank = Api(client, make_key(r, service="blank"), r)
    ids = seed(acme, client)
    before = acme_state(r)
    assert before
    differences = []
    for route, requests in ROUTES.items():
        for method, template, options in requests:
            path, chosen = template.format(**ids), bool(options.get("chosen_id"))
            seen = seen_as(ask(rival, client, method, path, options), rival.key, chosen)
            expected = seen_as(ask(blank, client, method, path, options), blank.key, chosen)
            if seen != expected:
                differences.append(f"{route} {method} {path}:\n  rival {seen}\n  blank {expected}")
    assert not differences, "\n".join(differences)
    assert acme_state(r) == before
