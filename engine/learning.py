"""Similarity learning off the request path.

An event that makes an item one of the user's (engine/recommend.py, "Learning") changes
only the user's own keys on its way in: the item joins the user's recommendation history
and the user's pending list, and the user is counted in one of the service's learn queues,
all in the event's own round trip. Its co-occurrence pairs (up to `history` item keys, in
as many slots) are made here, by the periodic job `workers.jobs.learn`, for many users at
once: pairs of one item from many users go in one script call, so a busy service costs far
fewer calls than one event at a time, and learning adds no round trip to an event POST.

A round, over the queue buckets the learner holds (a lock each, so no two learners take the
same users): read up to USERS_AT_ONCE users (at random) with their counts; take each
user's pending items and newest items (one script per user); store the pairs, users counts
and popularity (recommend.learn_pending); trim what was taken from each pending list;
take a user off the queue only if no event counted it again meanwhile. A learner that
dies before trimming leaves the items pending, and the next round makes their pairs
(again, if they were stored already: learning is at-least-once, and the pairs are
statistics).

Until the job has run, an item's neighbours, users count and popularity lag the events by
up to the job's period (a second); a user's own recommendations use the user's lists as
they are at once.
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import Sequence
from typing import NamedTuple

from redis.exceptions import LockError

from engine import keys, popularity, scripts

BUCKETS = 16  # learn queues per service: their slots spread over a cluster
USERS_AT_ONCE = 50  # users taken from a queue in one round (paced)
BULK_USERS_AT_ONCE = 500  # unpaced (imports, the evaluation): more pairs shared per call
TAKE_MAX = 2000  # pending items of one user taken in one round
LOCK_SECONDS = 300  # a learner that dies holds its buckets this long
RECHECK_SECONDS = 0.01  # a marked user found with nothing pending is looked at again after this

_take = scripts.load("take_learning")
_settle = scripts.load("settle_learning")

#: Services this process has put in learn_services already.
_known_services: set[str] = set()


def bucket_of(user: str) -> int:
    return zlib.crc32(user.encode()) % BUCKETS


def queue_user(batch: scripts.Batch, service: str, user: str) -> None:
    """Queue on `batch`, after the user's mark_positive calls, the user's place in a learn
    queue (and the service's in learn_services, once per process)."""
    batch.raw("ZINCRBY", keys.learn_queue(service, bucket_of(user)), 1, user)
    if service not in _known_services:
        batch.raw("SADD", keys.learn_services(), service)
        if len(_known_services) > 100_000:
            _known_services.clear()
        _known_services.add(service)


def forget() -> None:
    """Empty this process's memory of known services (tests)."""
    _known_services.clear()


class Pending(NamedTuple):
    """One user's learning, as taken: the user's item count before the new items, the
    user's newest items before them (newest first), and the new items in the order they
    counted ("<itemtype>|<itemid>", ms)."""

    count: int
    recent: list[str]
    new: list[tuple[str, int]]


def take(r, service: str, users: Sequence[str], history: int) -> tuple[list[Pending], list[int]]:
    """Each user's pending learning (one round trip), and how many pending items each had."""
    batch = scripts.Batch(r)
    for user in users:
        batch.script(_take, [keys.learn_pending(service, user), keys.rec_history(service, user)],
                     [history, TAKE_MAX])  # fmt: skip
    found, totals = [], []
    for reply in batch.execute():
        count, total, taken = int(reply[0]), int(reply[1]), int(reply[2])
        new = []
        for line in reply[3 : 3 + taken]:
            this, _, ms = line.rpartition("\t")
            new.append((this, int(float(ms))))
        skip = {this for this, _ in new}
        recent = [this for this in reply[3 + taken :] if this not in skip][:history]
        found.append(Pending(count, recent, new))
        totals.append(total)
    return found, totals


def run(r, service: str | None = None, *, seconds: float = 0.8, duty: float = 1.0) -> int:
    """Learn what is pending, for `service` or every service, for about `seconds` (the rest
    waits for the next run), working at most `duty` of the time: after each round trip it
    pauses so that they take no more than that share (the worker learns beside the web
    processes, and a burst of learning slows every request on a small host). Returns how
    many items were learnt."""
    from engine import recommend  # recommend queues marks with this module

    deadline = time.monotonic() + seconds
    services = [service] if service is not None else sorted(r.smembers(keys.learn_services()))
    learnt = 0
    for name, sizes in _queue_sizes(r, services).items():
        if time.monotonic() > deadline:
            break
        locks = {}
        for bucket, count in enumerate(sizes):
            if count:
                lock = r.lock(keys.learn_lock(name, bucket), timeout=LOCK_SECONDS)
                if lock.acquire(blocking=False):  # else another learner has it
                    locks[bucket] = lock
        try:
            if locks:
                learnt += _drain(r, recommend, locks, name, deadline, duty)
        finally:
            for lock in locks.values():
                with contextlib.suppress(LockError):  # expired: a round took over LOCK_SECONDS
                    lock.release()
    return learnt


def _drain(r, recommend, locks: dict, service: str, deadline: float, duty: float) -> int:
    """Learn the users of the buckets held (`locks`), a round at a time, each round taking
    users from every bucket (pairs of one item from many users share a script call), until
    they are empty or time is up; the locks are renewed after each round."""
    learnt = 0

    def pause(seconds: float) -> None:  # after each round trip, so that Redis is not held long
        if duty < 1:
            time.sleep(min(seconds * (1 - duty) / duty, max(deadline - time.monotonic(), 0)))

    at_once = max((USERS_AT_ONCE if duty < 1 else BULK_USERS_AT_ONCE) // len(locks), 1)
    while True:
        # at random: a user marked again and again is not starved by a stream of new ones
        pipe = r.pipeline(transaction=False)
        for bucket in locks:
            pipe.execute_command("ZRANDMEMBER", keys.learn_queue(service, bucket), at_once, "WITHSCORES")
        marked = [
            (bucket, user, count)
            for bucket, reply in zip(locks, pipe.execute(), strict=True)
            for user, count in popularity.scored(reply)
        ]
        if not marked:
            return learnt
        found = recommend.settings(r, service)
        pending, totals = take(r, service, [user for _, user, _ in marked], int(found.config["history"]))
        taken_at = time.monotonic()
        learnt += recommend.learn_pending(r, service, found, pending, pause)
        batch = scripts.Batch(r)
        done = []  # (bucket, user, count, nothing was pending) of users with nothing left behind
        for (bucket, user, count), taken, total in zip(marked, pending, totals, strict=True):
            if taken.new:
                batch.raw("LTRIM", keys.learn_pending(service, user), len(taken.new), -1)
            if len(taken.new) == total:
                done.append((bucket, user, count, total == 0))
        settled: dict[int, list[str]] = {}
        for bucket, user, count in _settling(r, service, done, taken_at):
            settled.setdefault(bucket, []).append(f"{user}\t{int(count)}\n")
        for bucket, lines in settled.items():
            batch.script(_settle, [keys.learn_queue(service, bucket)], ["".join(lines)])
        batch.execute()
        if time.monotonic() > deadline:
            return learnt
        try:
            for lock in locks.values():
                lock.reacquire()
        except LockError:  # a round outlived LOCK_SECONDS: another learner may have a bucket now
            return learnt


def _settling(r, service: str, done: list[tuple[int, str, float, bool]], taken_at: float) -> list:
    """(bucket, user, count) of the users that may leave the queue, of those with nothing
    left behind (`done`, from the round that took them at `taken_at`). A user marked
    with nothing pending at all is looked at again, at least RECHECK_SECONDS after the take.
    On a cluster, an event's pending item (the user's slot) and its mark (a queue's slot) are
    written on two nodes, and the mark may land first: a learner that took the user off the
    queue then would leave the item pending until the user's next event. (A repeated
    positive event, a progress heartbeat say, marks its user with nothing new: a round
    with such users makes this one more round trip.)"""
    empty = sorted({user for _, user, _, nothing in done if nothing})
    arrived = set()
    if empty:
        time.sleep(max(RECHECK_SECONDS - (time.monotonic() - taken_at), 0))
        pipe = r.pipeline(transaction=False)
        for user in empty:
            pipe.llen(keys.learn_pending(service, user))
        arrived = {user for user, size in zip(empty, pipe.execute(), strict=True) if size}
    return [(bucket, user, count) for bucket, user, count, _ in done if user not in arrived]


def _queue_sizes(r, services: Sequence[str]) -> dict[str, list[int]]:
    """Per service, the users in each of its learn queues (one round trip)."""
    if not services:
        return {}
    pipe = r.pipeline(transaction=False)
    for service in services:
        for bucket in range(BUCKETS):
            pipe.zcard(keys.learn_queue(service, bucket))
    counts = pipe.execute()
    return {service: counts[i * BUCKETS : (i + 1) * BUCKETS] for i, service in enumerate(services)}


def backlog(r, service: str) -> int:
    """Users of `service` with learning pending (what the next runs have to do)."""
    return sum(_queue_sizes(r, [service])[service])


def backlogs(r) -> dict[str, int]:
    """Per service with learning: its users with learning pending (one round trip)."""
    services = sorted(r.smembers(keys.learn_services()))
    return {service: sum(sizes) for service, sizes in _queue_sizes(r, services).items()}
