"""Notification requests, matching, and delivery (with a stand-in for the HTTP POST)."""

from urllib.parse import parse_qs

import pytest

from engine import catalog, errors, keys, notifications, users, webhooks
from engine.notifications import Request
from tests.conftest import snapshot

NOW = 1_763_800_000_000
SECRET = "whsec_" + "A" * 32
URL = "https://hooks.example.com/tell"


def ask(r, uid, item_type, item_id, *, url=URL, sources=(), price=None, hd=False, now=NOW, service="acme"):
    return notifications.save(
        r, service, uid, item_type, item_id, Request(url, tuple(sources), price, hd), now_ms=now
    )


def offer(source, price, hd=False):
    return {"source_id": source, "price": price, "hd": hd}


def put(r, item_type, item_id, *offers, now=NOW, service="acme", **fields):
    item = catalog.validate(item_type, item_id, {"availability": list(offers), **fields})
    return notifications.put_items(r, service, [item], now_ms=now).deliveries


def shown(r, uid, *where, service="acme"):
    return notifications.listing(r, service, uid, *where)[0]


class Receiver:
    """Stands in for webhooks.post: records each call, answers the given statuses in turn."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.calls = []

    def __call__(self, url, body, headers):
        self.calls.append((url, parse_qs(body.decode()), headers, body))
        outcome = self.statuses.pop(0) if self.statuses else 200
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def bodies(self):
        return [{k: v[0] for k, v in fields.items()} for _, fields, _, _ in self.calls]


def send(r, delivery_id, receiver, *, now=NOW, service="acme", lease_ms=notifications.LEASE_MS):
    return notifications.deliver(
        r, service, delivery_id, secrets=[SECRET], post=receiver, now_ms=now, lease_ms=lease_ms
    )


def test_the_seeds_request_is_listed_to_the_letter(r):
    ask(r, "7", "movie", "1", url="http://example.com/notification", sources=["7", "37", "28"])
    assert shown(r, "7") == [
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


def test_an_available_item_satisfies_matching_requests_once_with_the_cheapest_suitable_offer(r):
    ask(r, "any", "movie", "1")
    ask(r, "cheap", "movie", "1", price=300)
    ask(r, "hd", "movie", "1", hd=True)
    ask(r, "src", "movie", "1", sources=["37"])
    ask(r, "never", "movie", "1", price=100, hd=True)
    made = put(r, "movie", "1", offer(7, 499, hd=True), offer(37, 250), offer(28, 199))
    assert len(made) == 4
    receiver = Receiver()
    for delivery in made:
        assert send(r, delivery, receiver) is None
    got = {body["user_id"]: body for body in receiver.bodies()}
    assert set(got) == {"any", "cheap", "hd", "src"}
    assert got["any"] == {"user_id": "any", "item_type": "movie", "item_id": "1", "source_id": "28",
                          "price": "199", "hd": "false"}  # fmt: skip
    assert (got["cheap"]["source_id"], got["hd"]["source_id"], got["src"]["source_id"]) == ("28", "7", "37")
    assert got["hd"]["hd"] == "true"
    # the same availability again, or a change: nobody is told twice
    assert put(r, "movie", "1", offer(7, 499, hd=True), offer(37, 250), offer(28, 199)) == []
    assert put(r, "movie", "1", offer(28, 50, hd=True)) == ["r|movie|1|never|1763800000000"]
    assert all(entry["notified"] for uid in ("any", "cheap", "hd", "src") for entry in shown(r, uid))


def test_only_the_items_own_requests_are_examined(r):
    for uid in range(50):
        ask(r, f"u{uid}", "movie", "other")
    ask(r, "7", "movie", "1")
    assert put(r, "movie", "1", offer(7, 100)) == ["r|movie|1|7|1763800000000"]
    assert r.hlen(keys.notify_requests("acme", "movie", "other")) == 50
    assert all(entry["delivery"] is None for uid in range(50) for entry in shown(r, f"u{uid}"))


def test_a_request_for_an_item_already_available_is_satisfied_at_once(r):
    put(r, "movie", "1", offer(7, 100))
    assert ask(r, "7", "movie", "1", price=50) == []  # too dear
    assert ask(r, "7", "movie", "1", price=100) == ["r|movie|1|7|1763800000000"]
    assert shown(r, "7")[0]["delivery"]["status"] == "pending"


def test_the_same_request_again_changes_nothing_and_a_different_one_replaces_it(r):
    put(r, "movie", "1", offer(7, 100))
    first = ask(r, "7", "movie", "1")
    send(r, first[0], Receiver())
    assert ask(r, "7", "movie", "1", now=NOW + 5) == []  # a retried POST: no second webhook
    assert shown(r, "7")[0]["notified"] is True
    again = ask(r, "7", "movie", "1", url="https://elsewhere.example.com/", now=NOW + 9)
    assert again == ["r|movie|1|7|1763800000009"]  # a new request: told again, at the new URL
    entry = shown(r, "7")[0]
    assert (entry["url"], entry["notified"], entry["delivery"]["status"]) == (
        "https://elsewhere.example.com/", False, "pending"
    )  # fmt: skip
    assert r.hlen(keys.deliveries("acme")) == 1  # the first request's delivery went with it


def test_cancelling_before_delivery_sends_nothing(r):
    ask(r, "7", "movie", "1")
    ask(r, "7", "movie", "2")
    ask(r, "7", "programme", "9")
    made = put(r, "movie", "1", offer(7, 100))
    assert notifications.cancel(r, "acme", "7", "movie", "1") == 1
    receiver = Receiver()
    assert send(r, made[0], receiver) is None
    assert receiver.calls == []
    assert r.zcard(keys.outbox("acme")) == 0
    assert [e["item_id"] for e in shown(r, "7")] == [2, 9]  # equal times: by type and id
    assert notifications.cancel(r, "acme", "7", "movie") == 1
    assert notifications.cancel(r, "acme", "7") == 1
    assert shown(r, "7") == []
    assert notifications.cancel(r, "acme", "7") == 0


def test_a_purge_cancels_the_users_requests(r):
    ask(r, "7", "movie", "1")
    ask(r, "7", "team", "arsenal")
    made = put(r, "movie", "1", offer(7, 100))
    users.purge(r, "acme", "7")
    assert shown(r, "7") == []
    assert send(r, made[0], Receiver()) is None
    assert not [k for k in r.keys("*") if ":7" in k or "|7|" in k]


def test_retries_follow_the_backoff_and_the_last_failure_is_shown(r):
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))
    receiver = Receiver(*[500] * 8)
    now = NOW
    delays = []
    while (delay := send(r, delivery, receiver, now=now)) is not None:
        delays.append(delay)
        assert r.zscore(keys.outbox("acme"), delivery) == now + delay * 1000 + notifications.GRACE_MS
        now += delay * 1000
    assert delays == list(notifications.BACKOFF) == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert len(receiver.calls) == 8
    assert len({headers["webhook-id"] for _, _, headers, _ in receiver.calls}) == 1
    entry = shown(r, "7")[0]
    assert entry["notified"] is False
    assert entry["delivery"]["status"] == "failed"
    assert entry["delivery"]["attempts"] == 8
    assert entry["delivery"]["last_error"] == "HTTP 500"
    assert r.zcard(keys.outbox("acme")) == 0


def test_a_retry_that_succeeds_flips_notified_once(r):
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))
    receiver = Receiver(TimeoutError("timed out"), 503, 204)
    assert send(r, delivery, receiver) == 5
    entry = shown(r, "7")[0]
    assert (entry["notified"], entry["delivery"]["last_error"]) == (False, "TimeoutError: timed out")
    assert send(r, delivery, receiver, now=NOW + 5_000) == 300
    assert send(r, delivery, receiver, now=NOW + 305_000) is None
    entry = shown(r, "7")[0]
    assert entry["notified"] is True
    assert entry["delivery"]["attempts"] == 3
    assert entry["delivery"]["last_error"] is None
    assert send(r, delivery, receiver, now=NOW + 999_000) is None  # done: never sent again
    assert len(receiver.calls) == 3


def test_a_refused_address_fails_at_once(r):
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))

    def refuse(url, body, headers):
        raise webhooks.Refused("hooks.example.com resolves to 10.0.0.1, which is not a public address")

    assert send(r, delivery, refuse) is None
    state = shown(r, "7")[0]["delivery"]
    assert state["status"] == "failed"
    assert state["last_error"].startswith("refused: hooks.example.com resolves to 10.0.0.1")


def test_a_sender_that_dies_mid_delivery_leaves_it_to_the_sweep_after_its_lease(r):
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))
    assert notifications.claim_due(r, "acme", now_ms=NOW) == []  # just enqueued: the job's

    def die(url, body, headers):
        raise KeyboardInterrupt  # the process goes; nothing is recorded

    with pytest.raises(KeyboardInterrupt):
        send(r, delivery, die, lease_ms=60_000)
    assert send(r, delivery, Receiver(), now=NOW + 1000) is None  # held: no one else sends it
    assert notifications.claim_due(r, "acme", now_ms=NOW + 59_000) == []
    assert notifications.claim_due(r, "acme", now_ms=NOW + 60_000) == [delivery]
    assert notifications.claim_due(r, "acme", now_ms=NOW + 61_000) == []  # claimed: put off
    receiver = Receiver()
    assert send(r, delivery, receiver, now=NOW + 61_000) is None
    assert len(receiver.calls) == 1 and shown(r, "7")[0]["notified"] is True


def test_a_delivery_not_begun_in_time_is_the_sweeps(r):
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))
    assert notifications.claim_due(r, "acme", now_ms=NOW + notifications.GRACE_MS) == [delivery]
    assert notifications.services_with_deliveries(r, ["acme", "rival"]) == ["acme"]


def test_signatures_are_standard_webhooks_with_every_secret_in_force(r):
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))
    receiver = Receiver()
    old = "whsec_" + "B" * 32
    notifications.deliver(r, "acme", delivery, secrets=[SECRET, old], post=receiver, now_ms=NOW)
    url, _, headers, body = receiver.calls[0]
    assert url == URL
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["webhook-id"] == notifications.webhook_id("acme", delivery)
    assert headers["webhook-timestamp"] == str(NOW // 1000)
    for secret in (SECRET, old):
        assert webhooks.verify(secret, headers["webhook-id"], NOW // 1000, body, headers["webhook-signature"])
    assert not webhooks.verify("whsec_" + "C" * 32, headers["webhook-id"], NOW // 1000, body,
                               headers["webhook-signature"])  # fmt: skip


def test_a_programme_request_is_satisfied_by_an_available_episode(r):
    ask(r, "7", "programme", "p1", hd=True)
    assert put(r, "episode", "e1", offer(7, 100), programme_id="p1", season=1, episode=1) == []  # not HD
    (delivery,) = put(r, "episode", "e2", offer(7, 100, hd=True), programme_id="p1", season=1, episode=2)
    receiver = Receiver()
    send(r, delivery, receiver)
    assert receiver.bodies()[0] == {
        "user_id": "7", "item_type": "programme", "item_id": "p1", "source_id": "7", "price": "100",
        "hd": "true", "episode_type": "episode", "episode_id": "e2",
    }  # fmt: skip
    # asked later, when an episode is out already: at once
    assert len(ask(r, "8", "programme", "p1")) == 1


def test_a_follow_hears_once_of_each_item_when_it_becomes_available(r):
    put(r, "match", "old", offer(7, 0), sport="football", teams=["arsenal", "spurs"], now=NOW - 1000)
    ask(r, "7", "team", "arsenal")
    ask(r, "8", "sport", "football", price=0)
    assert put(r, "match", "old", offer(7, 0), sport="football", teams=["arsenal"], now=NOW + 10) == []
    made = put(r, "match", "m1", offer(7, 0), sport="football", teams=["arsenal", "chelsea"], now=NOW + 20)
    assert sorted(made) == [f"f|sport|football|8|{NOW}|match|m1", f"f|team|arsenal|7|{NOW}|match|m1"]
    assert put(r, "match", "m1", offer(9, 0), sport="football", teams=["arsenal"], now=NOW + 30) == []
    assert put(r, "match", "m2", offer(7, 500), sport="football", now=NOW + 40) == []  # over 8's price
    receiver = Receiver()
    for delivery in made:
        send(r, delivery, receiver, now=NOW + 50)
    told = {b["user_id"]: (b["item_id"], b["followed_type"], b["followed_id"]) for b in receiver.bodies()}
    assert told == {"7": ("m1", "team", "arsenal"), "8": ("m1", "sport", "football")}
    entry = shown(r, "7")[0]
    assert (entry["item_type"], entry["item_id"], entry["notified"]) == ("team", "arsenal", True)
    assert entry["delivery"]["item_id"] == "m1"
    # a second item: the follow shows its latest delivery, and keeps no more than that done
    (second,) = put(r, "match", "m3", offer(7, 0), teams=["arsenal"], now=NOW + 60)
    send(r, second, receiver, now=NOW + 70)
    assert shown(r, "7")[0]["delivery"]["item_id"] == "m3"
    assert r.hlen(keys.deliveries("acme")) == 2  # 7's latest and 8's
    # offers that go away and come back do not make an item new; deleted and put again, it is
    put(r, "match", "m1", now=NOW + 80)
    assert put(r, "match", "m1", offer(7, 0), teams=["arsenal"], now=NOW + 90) == []
    notifications.delete_item(r, "acme", "match", "m1")
    assert len(put(r, "match", "m1", offer(7, 0), teams=["arsenal"], now=NOW + 100)) == 1


def test_a_replaced_or_cancelled_follow_sends_none_of_its_pending_webhooks(r):
    ask(r, "7", "sport", "football", url="https://a.example.com/")
    first = put(r, "match", "m1", offer(7, 100), sport="football")
    second = put(r, "match", "m2", offer(7, 100), sport="football")
    ask(r, "7", "sport", "football", url="https://b.example.com/", hd=True, now=NOW + 5)
    receiver = Receiver()
    for delivery in first + second:
        assert send(r, delivery, receiver) is None
    assert receiver.calls == []
    assert r.hlen(keys.deliveries("acme")) == 0 and r.zcard(keys.outbox("acme")) == 0
    entry = shown(r, "7")[0]
    assert (entry["url"], entry["notified"], entry["delivery"]) == ("https://b.example.com/", False, None)
    third = put(r, "match", "m3", offer(7, 100, hd=True), sport="football", now=NOW + 10)
    notifications.cancel(r, "acme", "7")
    ask(r, "7", "sport", "football", url="https://b.example.com/", hd=True, now=NOW + 20)  # made anew
    assert send(r, third[0], receiver) is None and receiver.calls == []


def test_matched_requests_leave_the_open_ones_that_matching_reads(r):
    ask(r, "7", "movie", "1")
    ask(r, "8", "movie", "1", price=10)
    put(r, "movie", "1", offer(7, 100))
    assert list(r.hgetall(keys.notify_requests("acme", "movie", "1"))) == ["8"]
    assert list(r.hgetall(keys.notify_done("acme", "movie", "1"))) == ["7"]
    assert [entry["item_id"] for uid in ("7", "8") for entry in shown(r, uid)] == [1, 1]


def test_the_same_request_again_retries_one_that_failed_for_good(r):
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))
    now = NOW
    failing = Receiver(*[500] * 8)
    while (delay := send(r, delivery, failing, now=now)) is not None:
        now += delay * 1000
    assert shown(r, "7")[0]["delivery"]["status"] == "failed"
    (again,) = ask(r, "7", "movie", "1", now=now)
    assert send(r, again, Receiver(), now=now) is None
    assert shown(r, "7")[0]["notified"] is True


def test_pages_of_requests_newest_first(r):
    for n in range(25):
        ask(r, "7", "movie", str(n), now=NOW + n)
    seen, cursor = [], None
    while True:
        page, cursor = notifications.listing(r, "acme", "7", cursor=cursor, limit=10)
        seen += [entry["item_id"] for entry in page]
        if cursor is None:
            break
    assert seen == list(range(24, -1, -1))
    with pytest.raises(errors.InvalidValue):
        notifications.listing(r, "acme", "7", cursor="!!nonsense")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "example.com/hook"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "http://user:pw@example.com/"}, "url"),
        ({"url": "http://127.0.0.1/hook"}, "url"),
        ({"url": "http://[::ffff:10.0.0.1]/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": 7}, "url"),
        ({"url": URL, "price": -1}, "price"),
        ({"url": URL, "price": 2.5}, "price"),
        ({"url": URL, "price": "300"}, "price"),
        ({"url": URL, "price": True}, "price"),
        ({"url": URL, "hd": "true"}, "hd"),
        ({"url": URL, "hd": 1}, "hd"),
        ({"url": URL, "source_id": 7}, "source_id"),
        ({"url": URL, "source_id": "7"}, "source_id"),
        ({"url": URL, "source_id": [7, "a b"]}, "source_id[1]"),
        ({"url": URL, "source_id": [-1]}, "source_id[0]"),
        ({"url": URL, "source_id": [[7]]}, "source_id[0]"),
        ({"url": URL, "when": "soon"}, "when"),
        ({"url": [URL]}, "url"),
        ({"url": "http://127.1/"}, "url"),
        ({"url": "http://2130706433/"}, "url"),
        ({"url": "http://0x7f000001/"}, "url"),
        ({"url": "http://[fec0::1]/"}, "url"),
        ({"url": "https://example.com/\u00e9"}, "url"),
        ({"url": "https://example.com/\u0000"}, "url"),
        ({"url": "https://example.com:0/"}, "url"),
        ({"url": URL, "price": 10**13}, "price"),
    ],
)
def test_bad_json_requests_are_refused_naming_the_field(body, field):
    with pytest.raises(errors.InvalidValue) as caught:
        notifications.validate(body, form=False, allow_private=False)
    assert field in caught.value.fields, caught.value.fields


@pytest.mark.parametrize(
    "number", ["1e2000000", "-1e2000000", "1e-2000000", "123456789012345678901234567890"]
)
def test_huge_numbers_are_refused_at_once(number):
    from engine import exactjson

    body = exactjson.loads(f'{{"url": "{URL}", "price": {number}, "source_id": [{number}]}}')
    with pytest.raises(errors.InvalidValue) as caught:
        notifications.validate(body, form=False, allow_private=False)
    assert {"price", "source_id[0]"} <= set(caught.value.fields)
    item = exactjson.loads(
        f'{{"availability": [{{"source_id": {number}, "price": {number}}}], "duration": {number}}}'
    )
    with pytest.raises(errors.InvalidValue):
        catalog.validate("movie", "1", item)


def test_ids_show_as_numbers_only_when_they_read_back_the_same(r):
    for item_id in ("7", "007", "-5", "1234567890123456", "0"):
        ask(r, "7", "movie", item_id)
    shown_ids = sorted((str(type(e["item_id"]).__name__), str(e["item_id"])) for e in shown(r, "7"))
    assert shown_ids == [
        ("int", "0"),
        ("int", "7"),
        ("str", "-5"),
        ("str", "007"),
        ("str", "1234567890123456"),
    ]


def test_form_requests_read_strings():
    form = {"url": [URL], "source_id": ["7", "netflix"], "price": ["300"], "hd": ["true"]}
    assert notifications.validate(form, form=True, allow_private=False) == Request(
        URL, ("7", "netflix"), 300, True
    )
    for bad in ({"price": ["-1"]}, {"price": ["3.5"]}, {"hd": ["maybe"]}, {"source_id": ["a b"]}):
        with pytest.raises(errors.InvalidValue):
            notifications.validate({"url": [URL], **bad}, form=True, allow_private=False)


def test_private_targets_are_allowed_when_the_operator_says_so():
    request = notifications.validate({"url": "http://127.0.0.1:9000/"}, form=False, allow_private=True)
    assert request.url == "http://127.0.0.1:9000/"


@pytest.mark.parametrize("item_type", ["episode", "channel", "section", "Movie"])
def test_other_item_types_are_refused(r, item_type):
    with pytest.raises(errors.InvalidValue):
        ask(r, "7", item_type, "1")
    with pytest.raises(errors.InvalidValue):
        notifications.listing(r, "acme", "7", item_type)
    assert r.keys("*") == []


def test_a_user_has_at_most_so_many_requests(r, monkeypatch):
    monkeypatch.setattr(notifications, "MAX_PER_USER", 3)
    for n in range(3):
        ask(r, "7", "movie", str(n))
    with pytest.raises(errors.InvalidValue):
        ask(r, "7", "movie", "3")
    ask(r, "7", "movie", "2", price=5)  # replacing one is fine


def test_a_service_has_at_most_so_many_requests(r, monkeypatch):
    monkeypatch.setattr(notifications, "MAX_PER_SERVICE", 3)
    for user in ("7", "8", "9"):
        ask(r, user, "movie", "1")
    before = snapshot(r)
    with pytest.raises(errors.InvalidValue, match="at most 3 notification requests per service"):
        ask(r, "10", "movie", "2")
    assert snapshot(r) == before  # nothing of the refused one
    ask(r, "7", "movie", "1", price=5)  # replacing one is fine
    notifications.cancel(r, "acme", "8", "movie", "1")
    ask(r, "10", "movie", "2")  # a cancelled one makes room
    with pytest.raises(errors.InvalidValue):
        ask(r, "11", "movie", "2")
    notifications.cancel(r, "acme", "7")  # all of a user's
    notifications.cancel(r, "acme", "7")  # none left: the count stays right
    ask(r, "11", "movie", "2")
    assert r.get(keys.notify_count("acme")) == "3"


def test_two_senders_of_one_delivery_flip_notified_once(r):
    """A sender outlives its lease; the sweep's sender sends too. Both succeed: the receiver
    sees one webhook-id twice, and the request is notified once, by the first to finish."""
    ask(r, "7", "movie", "1")
    (delivery,) = put(r, "movie", "1", offer(7, 100))
    second = Receiver()

    def slow(url, body, headers):
        later = NOW + notifications.LEASE_MS + 1
        assert send(r, delivery, second, now=later) is None  # meanwhile, after the lease
        return 200

    assert send(r, delivery, slow) is None
    assert len(second.calls) == 1
    entry = shown(r, "7")[0]
    assert entry["notified"] is True
    assert entry["delivery"]["attempts"] == 1  # the late finish changed nothing
    notified_ms = r.hget(keys.notify_done("acme", "movie", "1"), "7").split("\t")[6]
    assert int(notified_ms) >= NOW + notifications.LEASE_MS + 1
