"""The event fast path (api.fastpath) answers exactly as the Flask route does."""

import json

import pytest
import redis as redis_py

from api import create_app
from engine import events, keys, recommend
from tests.conftest import Api, make_key

TS = "?ts=1763700000"
REQUESTS = [
    ("post", "event/7/watchlist/movie/1/" + TS),
    ("post", "event/7/watchlist/movie/1" + TS),
    ("post", "event/7/rated/movie/2/4.50/" + TS),
    ("post", "event/7/rated/movie/3/-1" + TS),
    ("post", "event/7/progress/movie/4/12/?ts=2025-11-22T10:00:00%2B01:00"),
    ("post", "event/7/progress/movie/4/12/?ts=2025-11-22T10:00:00+01:00"),
    ("post", "event/7/start/channel/bbc1/1763699000/" + TS),
    ("post", "event/7/end/channel/bbc1/1763699000/" + TS),  # no session open: 409
    ("post", "event/7/seen/episode/9/" + TS),
    ("post", "event/7/rated/movie/5/" + TS),
    ("post", "event/7/rated/movie/5/NaN/" + TS),
    ("post", "event/7/watchlist/movie/6/3/" + TS),
    ("post", "event/7/seen/Movie/6/" + TS),
    ("post", "event/a%20b/seen/movie/6/" + TS),
    ("post", "event/7/watchlist/movie/6/?ts=tomorrow"),
    ("post", "event/7/watchlist/movie/6/?ts=99999999999"),
    ("post", "event/7/watchlist/movie/6/?ts=1763700000&x=1"),
    ("post", "event/7/watchlist/movie/6/?other=1"),
    ("post", "event//seen/movie/6/" + TS),
    ("post", "event/7/watchlist/movie/6/7/8/" + TS),
    ("post", "event/7/watchlist/movie/../" + TS),
    ("delete", "event/7/watchlist/movie/1/" + TS),
]


def answer(response):
    data = response.get_data(as_text=True)
    return response.status_code, response.headers.get("Content-Type"), json.loads(data) if data else None


@pytest.fixture
def apps(r, settings):
    key = make_key(r)
    fast = Api(create_app(settings, redis=r).test_client(), key)
    slow = Api(create_app(settings, redis=r, fast_path=False).test_client(), key)
    return fast, slow


@pytest.mark.parametrize(("method", "path"), REQUESTS, ids=[p for _, p in REQUESTS])
def test_the_fast_path_answers_as_flask_does(apps, r, method, path):
    fast, slow = apps
    fast.get("event/7/watchlist/movie/?id=1")  # puts the key in the fast app's cache
    r.delete(*keys.user_keys("acme", "7", r.smembers(keys.event_lists("acme", "7"))), keys.event_log("acme"))
    fast_answer = answer(getattr(fast, method)(path))
    fast_state = _state(r, path)
    r.delete(*keys.user_keys("acme", "7", r.smembers(keys.event_lists("acme", "7"))), keys.event_log("acme"))
    slow_answer = answer(getattr(slow, method)(path))
    assert fast_answer == slow_answer
    assert fast_state == _state(r, path)


def _state(r, path):
    """What was stored; times too, unless the request has none (each side stamps its now)."""
    timed = "ts=" in path
    lists = sorted(r.smembers(keys.event_lists("acme", "7")))
    stored = {}
    for name in lists:
        item_type, _, event = name.partition("|")
        entries = events.page(r, "acme", "7", event, item_type)[0]
        stored[name] = [(e.item, e.value, e.ms if timed else None) for e in entries]
    log = [{k: v for k, v in f.items() if timed or k != "ts"} for _, f in r.xrange(keys.event_log("acme"))]
    return stored, log


def test_an_uncached_or_revoked_key_goes_through_flask(r, settings):
    from engine import tenants

    app = create_app(settings, redis=r)
    api = Api(app.test_client(), make_key(r))
    assert api.post("event/7/watchlist/movie/1/").status_code == 204  # first: Flask, fills the cache
    tenants.revoke_key(r, api.key, now_ms=1)
    app.extensions["tanktop"].key_cache._entries.clear()
    assert api.post("event/7/watchlist/movie/2/").status_code == 401
    stranger = Api(app.test_client(), "tt_unknownkeyunknownkey0")
    assert stranger.post("event/7/watchlist/movie/2/").status_code == 401


def test_over_the_rate_limit_the_fast_path_answers_429_once_charged(r, settings, monkeypatch):
    from engine import ratelimit

    app = create_app(settings, redis=r)
    api = Api(app.test_client(), make_key(r, rate=1, burst=3))
    api.get("event/7/watchlist/movie/?id=1")  # Flask: fills the cache, takes a token
    taken = []
    real_take = ratelimit.take
    monkeypatch.setattr(ratelimit, "take", lambda *a, **k: taken.append(1) or real_take(*a, **k))
    statuses = [api.post(f"event/7/watchlist/movie/{i}/").status_code for i in range(3)]
    assert statuses == [204, 204, 429]
    assert len(taken) == 3  # one bucket visit a request, the refused one too
    refused = api.post("event/7/watchlist/movie/9/")
    assert refused.headers["Retry-After"] == "1" and refused.get_json()["error"]["code"] == "rate_limited"


def test_a_redis_failure_in_the_rate_limit_is_a_json_503_too(r, settings, monkeypatch):
    from engine import ratelimit

    app = create_app(settings, redis=r)
    api = Api(app.test_client(), make_key(r, rate=1, burst=5))
    api.get("event/7/watchlist/movie/?id=1")

    def down(*args, **kwargs):
        raise redis_py.ConnectionError("refused")

    monkeypatch.setattr(ratelimit, "take", down)
    response = api.post("event/7/watchlist/movie/1/")
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "unavailable"


def test_redis_failures_on_the_fast_path_are_the_same_503(r, settings, monkeypatch):
    app = create_app(settings, redis=r)
    api = Api(app.test_client(), make_key(r))
    api.get("event/7/watchlist/movie/?id=1")

    def fail(*args, **kwargs):
        raise redis_py.ConnectionError("refused")

    monkeypatch.setattr(recommend, "apply", fail)
    fast = api.post("event/7/watchlist/movie/1/")
    slow = api.post("event/7/watchlist/movie/1/?ts=1763700000&via=flask")  # not ordinary: Flask answers
    assert fast.status_code == slow.status_code == 503
    assert fast.headers["Retry-After"] == slow.headers["Retry-After"] == "1"
    assert fast.get_json() == slow.get_json()

    def bug(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(recommend, "apply", bug)
    response = api.post("event/7/watchlist/movie/1/")
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"


def test_ordinary_event_posts_do_not_reach_flask(r, settings):
    from flask import request_started

    app = create_app(settings, redis=r)
    api = Api(app.test_client(), make_key(r))
    api.get("event/7/watchlist/movie/?id=1")  # Flask: fills the key cache
    started = []
    request_started.connect(lambda sender, **extra: started.append(1), app, weak=False)
    assert api.post("event/7/watchlist/movie/1/").status_code == 204
    assert api.post("event/7/rated/movie/1/4/?ts=1763700000").status_code == 204
    assert started == []
    assert api.post("event/7/rated/movie/1/x/").status_code == 400  # refused: Flask answers
    assert started == [1]
