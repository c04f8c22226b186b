"""Notifications (seed 000): "we'll tell you when a movie or TV show becomes available".

A request names an item (a movie or programme), a webhook URL and optional filters: a list
of sources, a maximum price, HD. When the item is available with an offer that suits, the
request gets one delivery: a signed POST to its URL. A request on a sport or a team is a
follow: it gets one delivery for every newly available item tagged with that sport or team.

Matching runs where the requests are (one slot per service) in the same script that writes
each delivery and its outbox entry; the caller enqueues the deliveries at once, and a
periodic sweep sends any outbox entry that was not begun in time, so a crash between match
and enqueue loses nothing. Deliveries are at least once on the wire, with a stable
webhook-id, and flip to delivered exactly once.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from engine import catalog, errors, ids, keys, scripts, webhooks
from engine.catalog import Item, Offer

REQUEST_TYPES = ("movie", "programme", "sport", "team")
FOLLOW_TYPES = ("sport", "team")
FIELDS = {"url", "source_id", "price", "hd"}
MAX_SOURCES = 100
MAX_PER_USER = 1000
MAX_PER_SERVICE = 10_000_000  # open or matched: a guard on the service's Redis memory
MAX_PRICE = 10**12
#: Seconds to wait before each retry: the delivery is tried 1 + len(BACKOFF) times.
BACKOFF = (5, 300, 1800, 7200, 18000, 36000, 36000)
GRACE_MS = 30_000  # a delivery not begun this long after its match is the sweep's
LEASE_MS = 60_000  # a delivery being sent is no one else's for this long (plus the timeouts)
CLAIM_MS = 300_000  # a delivery the sweep enqueued is enqueued again if not begun by then
SWEEP_BATCH = 500
MAX_EPISODES_CHECKED = 2000  # a programme request looks at most at this many episodes

_save = scripts.load("save_request")
_cancel = scripts.load("cancel_request")
_match_item = scripts.load("match_item")
_match_follows = scripts.load("match_follows")
_start = scripts.load("start_delivery")
_finish = scripts.load("finish_delivery")
_claim = scripts.load("claim_due")


@dataclass(frozen=True)
class Request:
    url: str
    sources: tuple[str, ...]
    price: int | None
    hd: bool


def validate(body: Mapping[str, Any], *, form: bool, allow_private: bool) -> Request:
    """A request from a JSON object or a form (fields as lists of strings), or InvalidValue
    naming every problem."""
    problems: dict[str, list[str]] = {}
    for name in sorted(set(body) - FIELDS):
        problems[name] = [f"unknown field (fields: {', '.join(sorted(FIELDS))})"]

    def one(name: str, default: Any = None) -> Any:
        value = body.get(name, default)
        return value[-1] if form and isinstance(value, list) and value else value

    url = one("url")
    if url is None:
        problems["url"] = ["is required"]
    else:
        try:
            webhooks.parse(url)
            refused = None if allow_private else webhooks.literal_refused(url)
            if refused:
                problems["url"] = [refused]
        except webhooks.Refused as error:
            problems["url"] = [str(error)]
    sources = body.get("source_id", [])
    if sources is None:
        sources = []  # null: any source
    checked: list[str] = []
    if not isinstance(sources, list) or len(sources) > MAX_SOURCES:
        problems["source_id"] = [f"must be a list of at most {MAX_SOURCES} source ids"]
    else:
        for index, source in enumerate(sources):
            if isinstance(source, int) and not isinstance(source, bool):
                number = catalog.whole_number(source, catalog.MAX_SOURCE_NUMBER)
                if number is None:
                    problems[f"source_id[{index}]"] = [
                        f"a number must be from 0 to {catalog.MAX_SOURCE_NUMBER}"
                    ]
                else:
                    checked.append(str(number))
                continue
            try:
                checked.append(ids.item_id(source, f"source_id[{index}]"))
            except errors.InvalidValue as error:
                problems[f"source_id[{index}]"] = [error.message]
    price = one("price")
    if form and isinstance(price, str):
        price = int(price) if price.isascii() and price.isdigit() and len(price) <= 13 else price
    if price is not None:
        price = catalog.whole_number(price, MAX_PRICE)
        if price is None:
            problems["price"] = [f"must be a whole number of pence or cents, 0 to {MAX_PRICE} (or null: any)"]
    hd = one("hd")
    hd = False if hd is None else hd  # absent or null: any
    if form and isinstance(hd, str):
        hd = {"true": True, "1": True, "false": False, "0": False}.get(hd.lower(), hd)
    if not isinstance(hd, bool):
        problems["hd"] = ["must be true or false"]
    if problems:
        raise errors.InvalidValue(
            "the notification request is not valid; nothing was stored", fields=problems
        )
    return Request(url, tuple(dict.fromkeys(checked)), price, hd)


def _request_keys(service: str, uid: str, item_type: str, item_id: str) -> list[str]:
    return [
        keys.notify_requests(service, item_type, item_id),
        keys.notify_done(service, item_type, item_id),
        keys.notify_user(service, uid),
        keys.deliveries(service),
        keys.outbox(service),
        keys.notify_count(service),
    ]


def _check_target(uid: str, item_type: str, item_id: str) -> None:
    ids.user_id(uid)
    ids.item_type(item_type)
    if item_type not in REQUEST_TYPES:
        raise errors.InvalidValue(
            f"notifications are for item types {', '.join(REQUEST_TYPES)}, not {item_type}",
            fields={"item_type": [f"must be one of {', '.join(REQUEST_TYPES)}"]},
        )
    ids.item_id(item_id)


def _offers_text(offers: Sequence[Offer]) -> str:
    return "".join(f"{o.source_id}\t{o.price}\t{int(o.hd)}\n" for o in offers)


def save(
    r, service: str, uid: str, item_type: str, item_id: str, request: Request, *, now_ms: int
) -> list[str]:
    """Store (or replace) the request; when its item (or, for a programme, one of its
    episodes) is available already and suits it, the delivery is made at once. Returns the
    ids of deliveries to enqueue. The same request again changes nothing."""
    _check_target(uid, item_type, item_id)
    if r.scard(keys.notify_user(service, uid)) >= MAX_PER_USER and not r.sismember(
        keys.notify_user(service, uid), f"{item_type}|{item_id}"
    ):
        raise errors.InvalidValue(f"at most {MAX_PER_USER} notification requests per user; cancel some first")
    record = "\t".join(
        [request.url, "" if request.price is None else str(request.price), str(int(request.hd)),
         ",".join(request.sources), str(now_ms), "", ""]
    )  # fmt: skip
    saved = _save(
        r,
        _request_keys(service, uid, item_type, item_id),
        [uid, record, f"{item_type}|{item_id}", MAX_PER_SERVICE],
    )
    if int(saved) < 0:
        raise errors.InvalidValue(
            f"at most {MAX_PER_SERVICE} notification requests per service; cancel some first"
        )
    if item_type in FOLLOW_TYPES:
        return []  # a follow hears of items that become available from now on
    candidates = [(item_type, item_id)]
    if item_type == "programme":
        candidates += _available_episodes(r, service, item_id)
    pipe = r.pipeline(transaction=False)
    for candidate_type, candidate_id in candidates:
        pipe.hget(keys.catalog_item(service, candidate_type, candidate_id), "doc")
    batch = scripts.Batch(r)
    for (candidate_type, candidate_id), text in zip(candidates, pipe.execute(), strict=True):
        offers = catalog.offers_in(text)
        if offers:
            _queue_match_item(
                batch, service, (item_type, item_id), (candidate_type, candidate_id), offers, now_ms, user=uid
            )
    return [delivery for made in (batch.execute() if len(batch) else []) for delivery in made]


def _available_episodes(r, service: str, programme_id: str) -> list[tuple[str, str]]:
    """A programme's episodes that have offers (the first MAX_EPISODES_CHECKED, in order)."""
    members = r.zrange(keys.episodes(service, programme_id), 0, MAX_EPISODES_CHECKED - 1)
    if not members:
        return []
    since = r.hmget(keys.available(service), members)
    return [tuple(m.split("|", 1)) for m, available in zip(members, since, strict=True) if available]


def _queue_match_item(
    batch, service, requested, available, offers, now_ms: int, *, due_ms=None, user=""
) -> None:
    match_keys = [
        keys.notify_requests(service, *requested),
        keys.notify_done(service, *requested),
        keys.deliveries(service),
        keys.outbox(service),
    ]
    due = now_ms + GRACE_MS if due_ms is None else due_ms
    args = [now_ms, due, *requested, *available, _offers_text(offers), user]
    batch.script(_match_item, match_keys, args)


def queue_matches(
    batch: scripts.Batch, service: str, item: Item, *, now_ms: int, due_ms: int | None = None
) -> list[int]:
    """Queue the matching that an item's write calls for: its own open requests, its
    programme's (for an episode) and, when this write makes the item available for the
    first time, the follows of its sport and teams. Returns the positions of the replies
    that list new deliveries."""
    member = f"{item.item_type}|{item.item_id}"
    if not item.offers:
        batch.raw("HDEL", keys.available(service), member)
        return []
    batch.raw("HSETNX", keys.available(service), member, now_ms)
    here = (item.item_type, item.item_id)
    positions = [len(batch)]
    _queue_match_item(batch, service, here, here, item.offers, now_ms, due_ms=due_ms)
    if item.programme_id:
        positions.append(len(batch))
        programme = ("programme", item.programme_id)
        _queue_match_item(batch, service, programme, here, item.offers, now_ms, due_ms=due_ms)
    token = f"{now_ms}.{secrets.token_hex(6)}"  # only the write whose token sticks announces
    batch.raw("HSETNX", keys.announced(service), member, token)
    due = now_ms + GRACE_MS if due_ms is None else due_ms
    for follow_type, follow_id in item.tags:
        positions.append(len(batch))
        follow_keys = [
            keys.notify_requests(service, follow_type, follow_id),
            keys.deliveries(service),
            keys.outbox(service),
            keys.announced(service),
        ]
        args = [now_ms, due, follow_type, follow_id, *here, _offers_text(item.offers), token]
        batch.script(_match_follows, follow_keys, args)
    return positions


@dataclass(frozen=True)
class Stored:
    created: list[bool]  # per item: new to the catalogue (else replaced)
    deliveries: list[str]  # the ids of the deliveries to enqueue


def put_items(r, service: str, items: Sequence[Item], *, now_ms: int, due_ms: int | None = None) -> Stored:
    """Store catalogue items and run their matching in one round trip (plus one when an
    episode moved to another programme). The new deliveries are the outbox sweep's from
    `due_ms` (default: GRACE_MS from now; a caller that cannot enqueue them says now)."""
    if not items:
        return Stored([], [])
    batch = scripts.Batch(r)
    puts, matches = [], []
    for item in items:
        puts.append(catalog.queue_put(batch, service, item, now_ms=now_ms))
        matches += queue_matches(batch, service, item, now_ms=now_ms, due_ms=due_ms)
    replies = batch.execute()
    befores = [replies[position] for position in puts]
    catalog.leave_old_places(r, service, list(zip(items, befores, strict=True)))
    return Stored(
        [before[0] == 1 for before in befores],
        [delivery for position in matches for delivery in replies[position]],
    )


def delete_item(r, service: str, item_type: str, item_id: str) -> bool:
    """Remove a catalogue item: it is no longer available; False if there was none."""
    deleted = catalog.delete(r, service, item_type, item_id)
    pipe = r.pipeline(transaction=False)
    pipe.hdel(keys.available(service), f"{item_type}|{item_id}")
    pipe.hdel(keys.announced(service), f"{item_type}|{item_id}")  # back again, it is new again
    pipe.execute()
    return deleted


def cancel(r, service: str, uid: str, item_type: str | None = None, item_id: str | None = None) -> int:
    """Remove the user's requests (all, those on an item type, or the one on an item); a
    delivery not sent yet is not sent. Returns how many went."""
    ids.user_id(uid)
    targets = _targets(r, service, uid, item_type, item_id)
    if not targets:
        return 0
    batch = scripts.Batch(r)
    for target_type, target_id in targets:
        keys_ = _request_keys(service, uid, target_type, target_id)
        batch.script(_cancel, keys_, [uid, f"{target_type}|{target_id}"])
    return sum(batch.execute())


def _targets(r, service: str, uid: str, item_type: str | None, item_id: str | None) -> list[tuple[str, str]]:
    if item_type is not None and item_id is not None:
        _check_target(uid, item_type, item_id)
        return [(item_type, item_id)]
    if item_type is not None:
        _check_target(uid, item_type, "x")
    targets = [tuple(member.split("|", 1)) for member in r.smembers(keys.notify_user(service, uid))]
    return sorted(t for t in targets if item_type is None or t[0] == item_type)


@dataclass(frozen=True)
class Delivery:
    status: str
    attempts: int
    last_error: str
    url: str
    user: str
    request_type: str
    request_id: str
    item_type: str
    item_id: str
    source_id: str
    price: int
    hd: bool
    done_ms: int | None

    @classmethod
    def parse(cls, record: str) -> Delivery:
        f = record.split("\t")
        return cls(f[0], int(f[1]), f[2], f[4], f[5], f[6], f[7], f[8], f[9], f[10], int(f[11]), f[12] == "1",
                   int(f[14]) if f[14] else None)  # fmt: skip


def webhook_id(service: str, delivery_id: str) -> str:
    """The Standard Webhooks message id: the same for every attempt of one delivery."""
    return "msg_" + hashlib.sha256(f"{service}|{delivery_id}".encode()).hexdigest()[:32]


def _page_cursor(created: str, target: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(f"{created}|{target[0]}|{target[1]}".encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[int, str, str]:
    try:
        created, target_type, target_id = (
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        )
        return -int(created), target_type, target_id
    except ValueError:
        raise errors.InvalidValue(
            "cursor is not one a listing gave out", fields={"cursor": ["invalid"]}
        ) from None


def listing(
    r,
    service: str,
    uid: str,
    item_type: str | None = None,
    item_id: str | None = None,
    *,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[dict], str | None]:
    """One page of the user's requests, newest first, as the seed's GET shows them with
    their delivery state; and the cursor of the next page (None at the end)."""
    ids.user_id(uid)
    after = _after(cursor) if cursor else None
    targets = _targets(r, service, uid, item_type, item_id)
    pipe = r.pipeline(transaction=False)
    for target_type, target_id in targets:
        pipe.hget(keys.notify_requests(service, target_type, target_id), uid)
        pipe.hget(keys.notify_done(service, target_type, target_id), uid)
    replies = pipe.execute() if targets else []
    records = [opened or done for opened, done in zip(replies[::2], replies[1::2], strict=True)]
    found = [
        (-int(record.split("\t")[4]), target, record)
        for target, record in zip(targets, records, strict=True)
        if record
    ]
    found.sort(key=lambda entry: (entry[0], *entry[1]))
    if after:
        found = [entry for entry in found if (entry[0], *entry[1]) > after]
    page = found[:limit]
    delivery_ids = [record.split("\t")[5] for _, _, record in page]
    wanted = [d for d in delivery_ids if d]
    stored = dict(zip(wanted, r.hmget(keys.deliveries(service), wanted), strict=True)) if wanted else {}
    shown = []
    for (_, (target_type, target_id), record), delivery_id in zip(page, delivery_ids, strict=True):
        url, price, hd, sources, _created, _, notified = record.split("\t")
        delivery = Delivery.parse(stored[delivery_id]) if stored.get(delivery_id) else None
        shown.append({
            "url": url,
            "notified": bool(notified),
            "price": int(price) if price else None,
            "item_type": target_type,
            "source_id": [catalog.id_value(s) for s in sources.split(",") if s],
            "item_id": catalog.id_value(target_id),
            "hd": hd == "1",
            "delivery": None if delivery is None else {
                "status": delivery.status,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error or None,
                "webhook_id": webhook_id(service, delivery_id),
                "item_type": delivery.item_type,
                "item_id": catalog.id_value(delivery.item_id),
                "done_at": None if delivery.done_ms is None else delivery.done_ms / 1000,
            },
        })  # fmt: skip
    more = len(found) > limit
    return shown, (_page_cursor(page[-1][2].split("\t")[4], page[-1][1]) if more else None)


def claim_due(r, service: str, *, now_ms: int, limit: int = SWEEP_BATCH) -> list[str]:
    """The deliveries whose time has come and that no sender has begun (the sweep's); each
    is put off by CLAIM_MS, so the next sweeps leave it to the job it goes to now (however
    long the queue)."""
    return list(_claim(r, [keys.outbox(service)], [now_ms, now_ms + CLAIM_MS, limit]))


def services_with_deliveries(r, services: Sequence[str]) -> list[str]:
    """Which of the services have anything in their outbox."""
    pipe = r.pipeline(transaction=False)
    for service in services:
        pipe.exists(keys.outbox(service))
    return [service for service, there in zip(services, pipe.execute(), strict=True) if there]


def form_body(delivery: Delivery) -> bytes:
    """What the webhook receives, form-encoded: user_id, item_type, item_id (as requested)
    and the offer that suits (source_id, price, hd); for a programme made available by an
    episode, also episode_type and episode_id; for a follow, followed_type and followed_id."""
    fields = [("user_id", delivery.user)]
    if delivery.request_type in FOLLOW_TYPES:
        fields += [("item_type", delivery.item_type), ("item_id", delivery.item_id)]
    else:
        fields += [("item_type", delivery.request_type), ("item_id", delivery.request_id)]
    fields += [("source_id", delivery.source_id), ("price", str(delivery.price)),
               ("hd", "true" if delivery.hd else "false")]  # fmt: skip
    if delivery.request_type in FOLLOW_TYPES:
        fields += [("followed_type", delivery.request_type), ("followed_id", delivery.request_id)]
    elif (delivery.item_type, delivery.item_id) != (delivery.request_type, delivery.request_id):
        fields += [("episode_type", delivery.item_type), ("episode_id", delivery.item_id)]
    return urlencode(fields).encode()


def _delivery_keys(service: str, delivery_id: str) -> tuple[list[str], str]:
    """The keys of a delivery's scripts, and when its request was made: the id ("r|type|id|
    user|created" or "f|type|id|user|created|itemtype|itemid") names the request it serves."""
    kind, request_type, request_id, _user, created, *_ = delivery_id.split("|")
    lives = keys.notify_done if kind == "r" else keys.notify_requests
    return [keys.deliveries(service), keys.outbox(service), lives(service, request_type, request_id)], created


Post = Callable[[str, bytes, dict[str, str]], int]


def delivery_outcomes(r, services: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per service: how many delivery attempts were delivered, are to be retried, failed."""
    pipe = r.pipeline(transaction=False)
    for service in services:
        pipe.hgetall(keys.delivery_outcomes(service))
    found = pipe.execute() if services else []
    return {
        service: {k: int(v) for k, v in counts.items()}
        for service, counts in zip(services, found, strict=True)
    }


def deliver(
    r,
    service: str,
    delivery_id: str,
    *,
    secrets: Sequence[str],
    post: Post,
    now_ms: int,
    lease_ms: int = LEASE_MS,
) -> float | None:
    """Send one delivery if it is pending and no other sender holds it; returns the seconds
    until its retry is due (None when there is nothing more to do)."""
    keys_, created = _delivery_keys(service, delivery_id)
    lease = now_ms + lease_ms  # also this sender's token: a finish without it is ignored
    record = _start(r, keys_, [delivery_id, now_ms, lease, created])
    if not record:
        return None
    began = time.monotonic()
    delivery = Delivery.parse(record)
    body = form_body(delivery)
    message = webhook_id(service, delivery_id)
    stamp = now_ms // 1000
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "webhook-id": message,
        "webhook-timestamp": str(stamp),
        "webhook-signature": " ".join(webhooks.sign(secret, message, stamp, body) for secret in secrets),
        "User-Agent": "tanktop-webhooks",
    }
    permanent = False
    try:
        status = post(delivery.url, body, headers)
        error = "" if 200 <= status < 300 else f"HTTP {status}"
    except (webhooks.Refused, http.client.InvalidURL, UnicodeError) as refused:
        error, permanent = f"refused: {refused}", True  # no retry can change these
    except Exception as failure:  # any failure on the way is this attempt's result
        error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    error = error[:300].replace("\t", " ").replace("\n", " ")
    now = now_ms + int((time.monotonic() - began) * 1000)
    if not error:
        _finish(
            r,
            [*keys_, keys.delivery_outcomes(service)],
            [delivery_id, now, "delivered", "", 0, lease, created],
        )
        return None
    attempt = delivery.attempts + 1
    if permanent or attempt > len(BACKOFF):
        _finish(
            r,
            [*keys_, keys.delivery_outcomes(service)],
            [delivery_id, now, "failed", error, 0, lease, created],
        )
        return None
    delay = BACKOFF[attempt - 1]
    _finish(
        r,
        [*keys_, keys.delivery_outcomes(service)],
        [delivery_id, now, "retry", error, now + delay * 1000 + GRACE_MS, lease, created],
    )
    return delay
