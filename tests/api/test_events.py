"""Events over HTTP (seed 000 "User Actions and Events", API.md "Events")."""

import json

import pytest

from engine import keys
from tests.conftest import snapshot


def body(response):
    return json.loads(response.get_data(as_text=True))


def test_the_seed_example_to_the_letter(api):
    for item in ("1", "24"):
        response = api.post(f"event/7/watchlist/movie/{item}/")
        assert response.status_code == 204 and response.get_data() == b""
    response = api.get("event/7/watchlist/movie/?id=1&id=24&id=72")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == '{"watchlist":{"1":null,"24":null}}'


def test_values_come_back_as_numbers_exactly_as_sent(api):
    api.post("event/7/rated/movie/1/4.50/")
    api.post("event/7/rated/movie/2/-1/")
    api.post("event/7/progress/movie/3/12/")
    assert api.get("event/7/rated/movie/?id=1&id=2").get_data(as_text=True) == '{"rated":{"1":4.50,"2":-1}}'
    assert body(api.get("event/7/progress/movie/?id=3")) == {"progress": {"3": 12}}


def test_delete_removes_and_is_204_even_when_absent(api):
    api.post("event/7/watchlist/movie/1/")
    assert api.delete("event/7/watchlist/movie/1/").status_code == 204
    assert api.delete("event/7/watchlist/movie/1/").status_code == 204
    assert body(api.get("event/7/watchlist/movie/?id=1")) == {"watchlist": {}}


def test_ts_orders_late_deliveries(api):
    api.post("event/7/rated/movie/1/5/?ts=2025-11-22T10:00:00Z")
    assert api.post("event/7/rated/movie/1/1/?ts=2025-11-22T09:00:00Z").status_code == 204
    assert body(api.get("event/7/rated/movie/?id=1")) == {"rated": {"1": 5}}


def test_the_user_need_not_exist(api):
    assert api.get("user/ghost/").status_code == 404
    assert api.post("event/ghost/seen/movie/1/").status_code == 204


def test_listing_pages_newest_first_through_link_headers(api):
    for i in range(5):
        api.post(f"event/7/seen/movie/{i}/?ts={1763700000 + i}")
    items, url = [], api.url("event/7/seen/movie/?limit=2")
    while url:
        response = api.client.get(url)
        page = body(response)
        assert list(page["seen"]) == [entry["id"] for entry in page["items"]]
        items += page["items"]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace("http://localhost", "") if link else None
    assert [entry["id"] for entry in items] == ["4", "3", "2", "1", "0"]
    assert items[0] == {"id": "4", "value": None, "ts": 1763700004}


def test_star_answers_every_list_in_one_request(api):
    api.post("event/7/watchlist/movie/1/")
    api.post("event/7/rated/movie/24/3/")
    api.post("event/7/seen/programme/1/")
    assert body(api.get("event/7/*/movie/?id=1&id=24&id=72")) == {
        "rated": {"24": 3},
        "watchlist": {"1": None},
    }
    assert api.get("event/7/*/movie/").status_code == 400


def test_filter_by_get_and_post(api):
    api.post("event/7/watchlist/movie/2/")
    api.post("event/7/watchlist/movie/1/")
    api.post("event/7/hide/movie/3/")
    api.post("event/7/seen/movie/2/")
    response = api.get("filter/7/movie/?id=1&id=2&id=3&id=4&exclude=hide&exclude=seen")
    assert body(response) == {"items": ["1", "4"]}
    response = api.post("filter/7/movie/", json={"ids": ["3", "2", "1"], "include": ["watchlist"]})
    assert body(response) == {"items": ["2", "1"]}
    api.delete("event/7/watchlist/movie/2/")
    assert body(api.get("filter/7/movie/?id=1&id=2&include=watchlist")) == {"items": ["1"]}


def test_batch_stores_good_lines_and_reports_bad_ones(api, r):
    lines = [
        {"user_id": "7", "event": "seen", "item_type": "movie", "item_id": "1"},
        {"user_id": "7", "event": "rated", "item_type": "movie", "item_id": "2", "value": "x"},
        {
            "user_id": "8",
            "event": "rated",
            "item_type": "movie",
            "item_id": "2",
            "value": 4.5,
            "ts": 1763700000,
        },
        {"user_id": "8", "event": "seen"},
        {"user_id": "8", "event": "seen", "item_type": "movie", "item_id": "3", "colour": "red"},
        "nope",
    ]
    result = body(api.post("events/", json=lines))
    assert (result["stored"], result["rejected"]) == (2, 4)
    assert [e["index"] for e in result["errors"]] == [1, 3, 4, 5]
    assert "must be a JSON number" in result["errors"][0]["error"]
    assert body(api.get("event/8/rated/movie/?id=2")) == {"rated": {"2": 4.5}}
    assert r.xlen(keys.event_log("acme")) == 2


def test_batch_takes_ndjson_and_reports_lines_that_are_not_json(api):
    text = (
        '{"user_id":"7","event":"seen","item_type":"movie","item_id":"1"}\n\n{oops\n'
        + '{"user_id":"7","event":"seen","item_type":"movie","item_id":"2"}\n'
    )
    result = body(api.post("events/", data=text, content_type="application/x-ndjson"))
    assert (result["stored"], result["rejected"]) == (2, 1)
    assert (
        result["errors"][0]["index"] == 2 and "not valid JSON" in result["errors"][0]["error"]
    )  # blank lines count


def test_weights_config(api, other_api):
    assert body(api.get("config/weights/"))["sections"]["consumed"] == 5.0
    changed = body(api.put("config/weights/", json={"sections": {"consumed": 8}}))
    assert changed["sections"]["consumed"] == 8.0
    assert body(api.get("config/weights/"))["sections"]["consumed"] == 8.0
    assert body(other_api.get("config/weights/"))["sections"]["consumed"] == 5.0


def test_purge_erases_the_users_events(api):
    api.post("event/7/watchlist/movie/1/")
    api.delete("user/7/?purge=true")
    assert body(api.get("event/7/*/movie/?id=1")) == {}


def test_events_of_one_service_are_invisible_to_another(api, other_api):
    api.post("event/7/watchlist/movie/1/")
    assert body(other_api.get("event/7/watchlist/movie/?id=1")) == {"watchlist": {}}
    assert body(other_api.get("event/7/watchlist/movie/"))["items"] == []
    assert body(other_api.get("filter/7/movie/?id=1&include=watchlist")) == {"items": []}


MANY_IDS = "&".join(f"id={i}" for i in range(1001))
BAD = [
    ("post", "event/7/watchlist/movie/1/5/", {}, 400),
    ("post", "event/7/seen/movie/1/x/", {}, 400),
    ("post", "event/7/rated/movie/1/", {}, 400),
    ("post", "event/7/rated/movie/1/NaN/", {}, 400),
    ("post", "event/7/rated/movie/1/inf/", {}, 400),
    ("post", "event/7/rated/movie/1/1e999/", {}, 400),
    ("post", "event/7/rated/movie/1/four/", {}, 400),
    ("post", "event/7/progress/movie/1/-5/", {}, 400),
    ("post", "event/7/seen/movie/1/?ts=yesterday", {}, 400),
    ("post", "event/7/seen/movie/1/?ts=99999999999", {}, 400),
    ("post", "event/7/seen/movie/1/?ts=-5", {}, 400),
    ("post", "event/7/start/channel/bbc1/tomorrow/", {}, 400),
    ("post", "event/7/seen/Movie/1/", {}, 400),
    ("post", "event/7/seen/movie/a%20b/", {}, 400),
    ("post", "event/7/seen/movie/" + "x" * 65 + "/", {}, 400),
    ("post", "event/7/see-n/movie/1/", {}, 400),
    ("post", "event/7/seen/movie/../", {}, 400),
    ("post", "event/7/seen/movie/1/2/3/", {}, 400),
    ("post", "event/a b/seen/movie/1/", {}, 400),
    ("delete", "event/7/seen/mov%C3%A9/1/", {}, 400),
    ("get", "event/7/seen/movie/?" + MANY_IDS, {}, 400),
    ("get", "event/7/*/movie/?" + MANY_IDS, {}, 400),
    ("get", "filter/7/movie/?" + MANY_IDS, {}, 400),
    ("get", "event/7/seen/movie/?limit=0", {}, 400),
    ("get", "event/7/seen/movie/?limit=x", {}, 400),
    ("get", "event/7/seen/movie/?cursor=garbage", {}, 400),
    ("get", "event/7/seen/movie/?id=a%20b", {}, 400),
    ("get", "filter/7/movie/?id=1&exclude=Seen", {}, 400),
    ("post", "filter/7/movie/", {"json": {"ids": "1"}}, 400),
    ("post", "filter/7/movie/", {"json": {"ids": ["1"], "extra": 1}}, 400),
    ("post", "filter/7/movie/", {"data": "[]", "content_type": "application/json"}, 400),
    ("post", "events/", {"json": {"user_id": "7"}}, 400),
    ("post", "events/", {"data": "[1,", "content_type": "application/json"}, 400),
    ("post", "events/", {"data": "x", "content_type": "text/plain"}, 415),
    ("post", "events/", {"json": [{}] * 10_001}, 413),
    ("put", "config/weights/", {"json": {"sections": {"detail": "high"}}}, 400),
    ("put", "config/weights/", {"json": []}, 400),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"), BAD, ids=[f"{m} {p[:40]}" for m, p, _, _ in BAD]
)
def test_bad_event_requests_get_a_clear_4xx_and_change_nothing(api, r, method, path, kwargs, status):
    api.post("event/7/seen/movie/1/")
    api.post("event/7/rated/movie/1/3/")
    before = snapshot(r)
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    error = body(response)["error"]
    assert error["status"] == status and error["message"]
    assert snapshot(r) == before


def test_a_batch_of_only_bad_lines_stores_nothing(api, r):
    before = snapshot(r)
    result = body(
        api.post(
            "events/",
            json=[{"user_id": "7", "event": "watchlist", "item_type": "movie", "item_id": "1", "value": 3}],
        )
    )
    assert (result["stored"], result["rejected"]) == (0, 1)
    assert snapshot(r) == before


@pytest.fixture
def round_trips(monkeypatch):
    """Counts what clients send to Redis (a pipeline is one round trip); fakeredis's
    connection goes through the same method."""
    import redis as redis_py

    from engine import learning

    sent, counting_on = [], [True]
    real = redis_py.connection.Connection.send_packed_command
    real_run = learning.run

    def counting(self, command, check_health=True):
        if counting_on[0]:
            sent.append(command)
        return real(self, command, check_health)

    def learning_uncounted(*args, **kwargs):  # the worker's, not the request's
        counting_on[0] = False
        try:
            return real_run(*args, **kwargs)
        finally:
            counting_on[0] = True

    monkeypatch.setattr(redis_py.connection.Connection, "send_packed_command", counting)
    monkeypatch.setattr(learning, "run", learning_uncounted)
    return sent


@pytest.fixture
def nodes_per_trip(r):
    """How many sends one round trip makes: on a cluster, a pipeline sends to each node it
    touches at once (an event's user slot and the service's log: two)."""
    from engine.redis import RedisCluster

    return 2 if isinstance(r, RedisCluster) else 1


def test_an_event_post_is_one_round_trip_even_when_it_teaches(api, round_trips, nodes_per_trip):
    """With the user's recommendation history in the same round trip; when the event is the
    user's first positive one on the item, its learning is marked in that round trip too
    (the learning job makes the items' pairs)."""
    for item in range(1, 12):
        api.post(f"event/7/watchlist/movie/{item}/")  # the key is cached, the rate lease taken
    round_trips.clear()
    for item in range(1, 11):
        assert api.post(f"event/7/rated/movie/{item}/4/").status_code == 204  # nothing new to learn
    assert api.post("event/7/detail/movie/1/").status_code == 204  # counts for nothing
    assert len(round_trips) <= (11 + 1) * nodes_per_trip  # one each, and at most one lease renewal
    round_trips.clear()
    for item in range(12, 22):
        assert api.post(f"event/7/watchlist/movie/{item}/").status_code == 204
    # on a cluster: the user's node, the log's and the learn queue's
    assert len(round_trips) <= (10 + 1) * (3 if nodes_per_trip > 1 else 1)


def test_a_viewing_event_post_is_two_round_trips(api, round_trips, nodes_per_trip):
    """The catalogue facts (and the bookmark settings), then the event with its bookmark;
    a third only when an episode is finished (its next episode)."""
    for item in range(1, 12):
        api.post(f"event/7/progress/movie/{item}/5/")  # the scripts are loaded, the items learnt
    round_trips.clear()
    for item in range(2, 12):
        assert api.post(f"event/7/progress/movie/{item}/10/").status_code == 204
    assert len(round_trips) <= (2 * 10 + 1) * nodes_per_trip


def test_all_lists_read_is_one_round_trip_once_the_lists_are_known(api, round_trips):
    from engine import events

    for path in ("event/7/watchlist/movie/1/", "event/7/rated/movie/2/4/", "event/8/seen/movie/3/"):
        api.post(path)
    events._known_lists.clear()  # a process that has seen none of these lists
    assert body(api.get("event/7/*/movie/?id=1&id=2")) == {"rated": {"2": 4}, "watchlist": {"1": None}}
    round_trips.clear()
    assert body(api.get("event/7/*/movie/?id=1&id=2")) == {"rated": {"2": 4}, "watchlist": {"1": None}}
    assert len(round_trips) == 1
    api.post("event/7/hide/movie/1/")  # a list this process has not read yet
    assert body(api.get("event/7/*/movie/?id=1"))["hide"] == {"1": None}


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "event/u1/rated/movie/1/4%D9%A3/", {}),
        ("post", "event/u1/seen/movie/1/?ts=1%D9%A3", {}),
        ("post", "event/u1/seen/movie/1/?ts=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%95-01-01", {}),
        ("get", "event/u1/seen/movie/?limit=%C2%B2", {}),
        ("post", "event/u1/items/movie/1/", {}),
        ("get", "event/u1/seen/movie/?cursor=LTV8enp6", {}),
    ],
)
def test_look_alike_digits_reserved_names_and_forged_cursors_are_400(api, r, method, path, kwargs):
    before = snapshot(r)
    response = getattr(api, method)(path, **kwargs)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert snapshot(r) == before


def test_batch_values_must_be_json_numbers(api):
    lines = [
        {"user_id": "7", "event": "rated", "item_type": "movie", "item_id": "1", "value": "3"},
        {"user_id": "7", "event": "start", "item_type": "channel", "item_id": "c", "value": "1763700000"},
    ]
    result = body(api.post("events/", json=lines))
    assert (result["stored"], result["rejected"]) == (1, 1) and result["errors"][0]["index"] == 0


def test_a_compressed_batch_is_415(api):
    response = api.post(
        "events/", data=b"\x1f\x8b", content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    assert response.status_code == 415


def test_paging_goes_on_when_the_cursor_item_moved(api):
    for name in ("A", "B", "a", "b", "C"):  # one time: byte order B < C < a < b ... reversed
        api.post(f"event/7/seen/movie/{name}/?ts=1763700000")
    first = api.get("event/7/seen/movie/?limit=2")
    assert [e["id"] for e in body(first)["items"]] == ["b", "a"]
    link = first.headers["Link"]
    api.delete("event/7/seen/movie/a/")  # the cursor's item goes
    rest = api.client.get(link[1 : link.index(">")].replace("http://localhost", ""))
    assert [e["id"] for e in body(rest)["items"]] == ["C", "B"]


@pytest.mark.parametrize(
    "path",
    [
        "event/x1/rated/movie/1/1e9999999999999999999/",
        "event/x1/start/channel/1/1e9999999999999999999/",
        "event/x1/seen/movie/1/?ts=1e9999999999999999999",
        "event/x1/seen/movie/1/?ts=1e-9999999999999999999",
        "event/x1/rated/movie/1/1e-400/",
    ],
)
def test_numbers_decimal_cannot_hold_are_400(api, r, path):
    before = snapshot(r)
    assert api.post(path).status_code == 400
    assert snapshot(r) == before


def test_odd_batch_lines_cost_only_themselves(api):
    lines = [
        {"user_id": "u", "event": "seen", "item_type": "movie", "item_id": "1"},
        {"user_id": "u", "event": ["x"], "item_type": "movie", "item_id": "1", "value": "5"},
        {"user_id": "u", "event": {}, "item_type": "movie", "item_id": "1"},
        {
            "user_id": "u",
            "event": "seen",
            "item_type": "movie",
            "item_id": "2",
            "ts": "1e9999999999999999999",
        },
        {
            "user_id": "u",
            "event": "start",
            "item_type": "c",
            "item_id": "2",
            "value": "1e9999999999999999999",
        },
        {
            "user_id": "u",
            "event": "rated",
            "item_type": "movie",
            "item_id": "3",
            "value": int("1" + "0" * 301),
        },
        {"user_id": "u", "event": "seen", "item_type": "movie", "item_id": "4"},
    ]
    result = body(api.post("events/", json=lines))
    assert (result["stored"], result["rejected"]) == (2, 5)
    assert body(api.get("event/u/seen/movie/?id=1&id=4")) == {"seen": {"1": None, "4": None}}


def test_reserved_event_names_are_refused_on_reads_too(api):
    assert api.get("event/u/items/movie/").status_code == 400
    assert api.get("event/u/items/movie/?id=1").status_code == 400


def test_a_key_glued_to_the_path_is_hidden(app, api):
    for path in (f"/api/1{api.key}/event/u/seen/movie/", f"/api1{api.key}/event/"):
        response = app.test_client().get(path)
        assert response.status_code == 404 and api.key not in response.get_data(as_text=True)


def test_equal_times_keep_the_greater_value_beyond_double_precision(api):
    for user, values in (
        ("ta", ("12345678901234567890", "12345678901234567891")),
        ("tb", ("12345678901234567891", "12345678901234567890")),
        ("tc", ("4.50", "4.5")),
        ("td", ("4.5", "4.50")),
    ):
        for value in values:
            api.post(f"event/{user}/rated/movie/1/{value}/?ts=1700000000")
    stored = {
        u: api.get(f"event/{u}/rated/movie/?id=1").get_data(as_text=True) for u in ("ta", "tb", "tc", "td")
    }
    assert stored["ta"] == stored["tb"] == '{"rated":{"1":12345678901234567891}}'
    assert stored["tc"] == stored["td"]
