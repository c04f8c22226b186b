"""Webhook delivery end to end: a real HTTP receiver on loopback, the real POST, real Redis,
and RQ workers (in process, and a worker process that is killed mid-delivery)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from api import create_app
from engine import catalog, keys, notifications, tenants, webhooks
from engine import redis as engine_redis
from engine.clock import now_ms
from engine.settings import Settings
from tests.conftest import Api, make_key
from tests.receiver import Receiver
from tests.system.test_faults import children
from workers import clock, queues

pytestmark = pytest.mark.system


@pytest.fixture
def env(redis_server, monkeypatch):
    """Real Redis for the engine and RQ, private targets allowed (the receiver is loopback)."""
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("TANKTOP_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("TANKTOP_WEBHOOK_TIMEOUT", "1")
    r = engine_redis.connect(redis_server.url)
    r.flushall()
    yield r
    r.close()


@pytest.fixture
def hook():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def api(env, redis_server):
    """The API on the real Redis, handing deliveries to RQ (on the same Redis)."""
    settings = Settings.from_env()
    app = create_app(settings, redis=env)
    return Api(app.test_client(), make_key(env))


def rq_conn(redis_server):
    return engine_redis.connect(redis_server.url, decode=False)


def run_workers(redis_server):
    """Work every queued job (and the retries due by now) in this process, then return."""
    conn = rq_conn(redis_server)
    worker = SimpleWorker(
        [queues.queue(name, conn) for name in queues.ALL], connection=conn, serializer=JSONSerializer
    )
    worker.work(burst=True)


def listing(api, uid="7"):
    return api.get(f"notification/{uid}/").get_json()["notifications"]


def test_first_delivery_is_signed_and_flips_notified(api, hook, redis_server, env):
    assert (
        api.post("notification/7/movie/1/", json={"url": hook.url + "?user=7", "price": 400}).status_code
        == 204
    )
    api.put("item/movie/1/", json={"availability": [{"source_id": 7, "price": 349, "hd": True}]})
    run_workers(redis_server)
    (got,) = hook.wait_for(1)
    assert got.path == "/hook?user=7"
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    offer = {"source_id": "7", "price": "349", "hd": "true"}
    assert got.form == {"user_id": "7", "item_type": "movie", "item_id": "1", **offer}
    secret = tenants.webhook_secrets(env, "acme", now_ms=now_ms()).current
    stamp = int(got.headers["webhook-timestamp"])
    assert abs(stamp - time.time()) < 60
    assert webhooks.verify(
        secret, got.headers["webhook-id"], stamp, got.body, got.headers["webhook-signature"]
    )
    assert not webhooks.verify(secret, got.headers["webhook-id"], stamp, got.body + b"&x=1",
                               got.headers["webhook-signature"])  # fmt: skip
    (entry,) = listing(api)
    assert entry["notified"] is True
    assert entry["delivery"]["status"] == "delivered" and entry["delivery"]["attempts"] == 1
    assert entry["delivery"]["webhook_id"] == got.headers["webhook-id"]
    api.put("item/movie/1/", json={"availability": [{"source_id": 8, "price": 1}]})
    run_workers(redis_server)
    time.sleep(0.2)
    assert len(hook.requests) == 1  # notified once


def test_during_a_rotation_both_secrets_sign(api, hook, redis_server, env):
    old = tenants.webhook_secrets(env, "acme", now_ms=now_ms()).current
    new = tenants.rotate_webhook_secret(env, "acme", now_ms=now_ms())
    assert new.current != old and new.previous == old
    api.put("item/movie/1/", json={"availability": [{"source_id": 7, "price": 0}]})
    api.post("notification/7/movie/1/", json={"url": hook.url})
    run_workers(redis_server)
    (got,) = hook.wait_for(1)
    signatures = got.headers["webhook-signature"].split()
    assert len(signatures) == 2
    for secret in (old, new.current):
        stamp = int(got.headers["webhook-timestamp"])
        assert webhooks.verify(
            secret, got.headers["webhook-id"], stamp, got.body, got.headers["webhook-signature"]
        )
    later = now_ms() + tenants.ROTATION_OVERLAP_MS + 1
    assert tenants.webhook_secrets(env, "acme", now_ms=later).signing() == [new.current]


def deliver_now(env, delivery_id, *, now=None, timeout=1.0, lease_ms=notifications.LEASE_MS):
    post = lambda url, body, headers: webhooks.post(url, body, headers, timeout=timeout, allow_private=True)  # noqa: E731
    signing = tenants.webhook_secrets(env, "acme", now_ms=now_ms()).signing()
    return notifications.deliver(
        env, "acme", delivery_id, secrets=signing, post=post, now_ms=now or now_ms(), lease_ms=lease_ms
    )


def match(env, hook, uid="7"):
    notifications.save(env, "acme", uid, "movie", "1", notifications.Request(hook.url, (), None, False),
                       now_ms=now_ms())  # fmt: skip
    item = catalog.validate("movie", "1", {"availability": [{"source_id": 7, "price": 100}]})
    return notifications.put_items(env, "acme", [item], now_ms=now_ms()).deliveries


def test_a_500_is_retried_and_the_retry_succeeds(env, hook):
    (delivery,) = match(env, hook)
    hook.plan(500)
    assert deliver_now(env, delivery) == 5
    (entry,) = notifications.listing(env, "acme", "7")[0]
    assert (entry["notified"], entry["delivery"]["last_error"]) == (False, "HTTP 500")
    assert deliver_now(env, delivery, now=now_ms() + 5_000) is None
    first, second = hook.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    (entry,) = notifications.listing(env, "acme", "7")[0]
    assert entry["notified"] is True and entry["delivery"]["attempts"] == 2


def test_a_timeout_is_retried(env, hook):
    (delivery,) = match(env, hook)
    hook.plan(("sleep", 2.5))
    assert deliver_now(env, delivery, timeout=0.5) == 5
    (entry,) = notifications.listing(env, "acme", "7")[0]
    assert entry["delivery"]["last_error"] == "TimeoutError: no answer within 0.5 s" and not entry["notified"]
    assert deliver_now(env, delivery, now=now_ms() + 5_000, timeout=0.5) is None
    assert notifications.listing(env, "acme", "7")[0][0]["notified"] is True


def test_a_refused_connection_is_retried_by_the_job_after_its_backoff(env, redis_server):
    with Receiver() as gone:
        url = gone.url  # a port nobody listens on once it is closed
    notifications.save(
        env, "acme", "7", "movie", "1", notifications.Request(url, (), None, False), now_ms=now_ms()
    )
    item = catalog.validate("movie", "1", {"availability": [{"source_id": 7, "price": 100}]})
    (delivery,) = notifications.put_items(env, "acme", [item], now_ms=now_ms()).deliveries
    queues.enqueue_deliveries(rq_conn(redis_server), "acme", [delivery], timeout=1)
    run_workers(redis_server)
    (entry,) = notifications.listing(env, "acme", "7")[0]
    assert entry["delivery"]["attempts"] == 1 and "Connection" in entry["delivery"]["last_error"]
    scheduled = queues.queue(queues.WEBHOOKS, rq_conn(redis_server)).scheduled_job_registry
    assert len(scheduled.get_job_ids()) == 1  # the retry, in 5 s


def test_deleting_the_request_before_delivery_sends_nothing(api, hook, redis_server):
    api.post("notification/7/movie/1/", json={"url": hook.url})
    api.put("item/movie/1/", json={"availability": [{"source_id": 7, "price": 0}]})
    assert api.delete("notification/7/movie/1/").status_code == 204
    run_workers(redis_server)
    time.sleep(0.3)
    assert hook.requests == []


def test_a_crash_between_match_and_enqueue_is_caught_by_the_sweep(env, hook, redis_server):
    make_key(env)  # the service
    (delivery,) = match(env, hook)  # matched, never enqueued
    conn = rq_conn(redis_server)
    assert clock.tick(conn, {"workers.jobs.sweep_outboxes": 10}) == ["workers.jobs.sweep_outboxes"]
    run_workers(redis_server)
    assert hook.requests == []  # not due yet: a job may still be on its way
    env.zadd(keys.outbox("acme"), {delivery: now_ms() - 1})  # GRACE_MS later
    conn.delete(keys.clock_lock("workers.jobs.sweep_outboxes"))  # the next period
    assert clock.tick(conn, {"workers.jobs.sweep_outboxes": 10}) == ["workers.jobs.sweep_outboxes"]
    run_workers(redis_server)  # the sweep enqueues the delivery; the worker sends it
    (got,) = hook.wait_for(1)
    assert got.headers["webhook-id"] == notifications.webhook_id("acme", delivery)
    assert notifications.listing(env, "acme", "7")[0][0]["notified"] is True


def test_a_worker_killed_mid_delivery_still_delivers_once_by_webhook_id(api, hook, redis_server, env):
    hook.plan("hold")  # the first POST gets no answer: the worker is killed while it waits
    process = subprocess.Popen(
        [sys.executable, "-m", "workers"], env=dict(os.environ), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        api.post("notification/7/movie/1/", json={"url": hook.url})
        api.put("item/movie/1/", json={"availability": [{"source_id": 7, "price": 0}]})
        (first,) = hook.wait_for(1)
        horses = children(process.pid)
        assert horses  # the job runs in a forked horse
        for horse in horses:  # RQ's work horse, the sender, in a session of its own
            os.kill(horse, signal.SIGKILL)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    (entry,) = listing(api)
    assert entry["notified"] is False and entry["delivery"]["status"] == "pending"
    # the sweep after the sender's lease ran out (now_ms moved on rather than waited)
    after_lease = now_ms() + notifications.LEASE_MS + 3_000 + 1
    (delivery,) = notifications.claim_due(env, "acme", now_ms=after_lease)
    assert deliver_now(env, delivery, now=after_lease) is None
    _, second = hook.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # a receiver drops the repeat
    (entry,) = listing(api)
    assert entry["notified"] is True and entry["delivery"]["attempts"] == 1
    assert deliver_now(env, delivery, now=after_lease + 1) is None
    assert len(hook.requests) == 2
