"""Observability: /metrics, request ids, JSON logs."""

import json
import logging

import pytest

from api import observe
from engine import logs


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))  # the client sorts them
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if head == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    return 0.0


@pytest.fixture
def rq_down(monkeypatch):
    """RQ's Redis is not part of these tests: /metrics must answer without it."""
    from api.context import AppState

    def refuse(self):
        raise ConnectionError("no RQ here")

    monkeypatch.setattr(AppState, "rq_connection", refuse)


def test_metrics_count_requests_by_route_and_events_stored(api, app, rq_down):
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    route = "/api/1/<apikey>/user/<id:uid>/"
    for _ in range(3):
        api.put("user/7/", json={"name": "Bob"})
    api.get("user/404/")
    assert api.post("event/7/seen/movie/1/").status_code == 204  # the fast path
    lines = [{"user_id": "7", "event": "seen", "item_type": "movie", "item_id": "2"},
             {"user_id": "7", "event": "seen", "item_type": "movie"}]  # fmt: skip
    assert api.post("events/", json=lines).status_code == 200
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    after = answer.get_data(as_text=True)

    def moved(name, **labels):
        return metric(after, name, **labels) - metric(before, name, **labels)

    assert (
        moved("tanktop_http_requests_total", route=route, method="PUT", status="200")
        + moved("tanktop_http_requests_total", route=route, method="PUT", status="201")
        == 3
    )
    assert moved("tanktop_http_requests_total", route=route, method="GET", status="404") == 1
    assert moved("tanktop_http_requests_total", route=observe.EVENT_ROUTE, method="POST", status="204") == 1
    assert moved("tanktop_http_request_duration_seconds_count", route=route, method="PUT") == 3
    assert moved("tanktop_events_stored_total") == 2
    assert "api_key" not in after and api.key not in after


def test_metrics_count_webhook_deliveries_by_outcome(api, app, r, rq_down):
    from engine import keys

    r.hset(keys.delivery_outcomes("acme"), mapping={"delivered": 3, "retry": 1})
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert metric(text, "tanktop_webhook_deliveries_total", service="acme", outcome="delivered") == 3
    assert metric(text, "tanktop_webhook_deliveries_total", service="acme", outcome="retry") == 1


def test_metrics_show_the_learning_backlog(api, app, r, rq_down):
    from engine import learning

    for user in ("7", "8"):
        assert api.post(f"event/{user}/seen/movie/1/").status_code == 204
    text = app.test_client().get("/metrics").get_data(as_text=True)  # not api.get: it would learn
    assert metric(text, "tanktop_learning_backlog_users", service="acme") == 2
    learning.run(r)
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert metric(text, "tanktop_learning_backlog_users", service="acme") == 0


def test_rq_queue_depths_and_failed_jobs(redis_server, monkeypatch):
    from rq.registry import FailedJobRegistry

    from api import create_app
    from engine import redis as engine_redis
    from engine.settings import Settings
    from workers import queues

    conn = engine_redis.connect(redis_server.url, decode=False)
    conn.flushall()
    queues.queue(queues.DEFAULT, conn).enqueue("workers.jobs.sweep_outboxes")
    failed = queues.queue(queues.WEBHOOKS, conn).enqueue("workers.jobs.sweep_outboxes")
    FailedJobRegistry(queue=queues.queue(queues.WEBHOOKS, conn)).add(failed, ttl=60)
    app = create_app(Settings(redis_url=redis_server.url))
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert metric(text, "tanktop_rq_queue_jobs", queue="default") == 1
    assert metric(text, "tanktop_rq_failed_jobs", queue="webhooks") == 1


def test_every_answer_carries_a_request_id(api):
    given = api.get("user/7/", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    made = api.get("user/7/").headers["X-Request-Id"]
    assert len(made) == 32 and made != api.get("user/7/").headers["X-Request-Id"]
    assert (
        len(api.get("user/7/", headers={"X-Request-Id": "bad id;" + "x" * 200}).headers["X-Request-Id"]) == 32
    )
    fast = api.post("event/7/seen/movie/1/", headers={"X-Request-Id": "ev-1"})
    assert fast.status_code == 204 and fast.headers["X-Request-Id"] == "ev-1"


def test_logs_are_json_lines_with_the_request_id(app, api, capsys):
    logs.configure(observe.log_context)
    try:
        with app.test_request_context("/"):
            from flask import g

            g.request_id = "r-1"
            logging.getLogger("tanktop.test").warning("hello %s", "world", extra={"user": "7"})
        logging.getLogger("tanktop.test").error("outside")
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "hello world" and lines[0]["request_id"] == "r-1"
    assert lines[0]["level"] == "warning" and lines[0]["user"] == "7" and lines[0]["logger"] == "tanktop.test"
    assert "request_id" not in lines[1]


def test_the_access_log_is_one_json_line_a_request_without_the_key(r, capsys):
    from api import create_app
    from engine.settings import Settings
    from tests.conftest import Api, make_key

    app = create_app(Settings(access_log=True), redis=r)
    api = Api(app.test_client(), make_key(r))
    logs.configure(observe.log_context)
    try:
        api.get("user/7/", headers={"X-Request-Id": "req-9"})
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    [line] = [json.loads(line) for line in err.splitlines() if '"request"' in line]
    assert line["request_id"] == "req-9" and line["status"] == 404 and line["method"] == "GET"
    assert line["path"] == "/api/1/<apikey>/user/7/" and api.key not in err


def test_no_log_line_shows_a_key_whatever_the_request(r, capsys, monkeypatch):
    """Every kind of answer, with the access log on: fast-path events, errors of every
    status, an unexpected exception (500) and Redis failing (503), a key in a mistyped path
    and a revoked key's path; nothing logged carries a key."""
    import redis as redis_py

    from api import create_app
    from engine import profiles, tenants
    from engine.settings import Settings
    from tests.conftest import Api, make_key

    app = create_app(Settings(access_log=True, key_cache_seconds=0), redis=r)
    app.config["TESTING"] = False  # an unexpected exception is answered (and logged), not raised
    api = Api(app.test_client(), make_key(r))
    revoked = Api(app.test_client(), make_key(r, service="gone"))
    tenants.revoke_key(r, revoked.key, now_ms=1)
    logs.configure(observe.log_context)
    try:
        api.put("user/7/", json={"a": 1})
        api.post("event/7/seen/movie/1/")  # the fast path
        api.post("event/7/rated/movie/1/x/")  # 400 on the fast path
        api.get("user/8/")  # 404
        api.open("PATCH", "sectiondef/")  # 405
        api.get("nowhere/at/all/")  # an unknown route
        api.client.get(f"/api/1/x{api.key}/user/7/")  # a key-like string that is not a key
        api.client.get(f"/api//{api.key}/user/7/")  # the key in a mistyped path
        revoked.get("user/7/")  # 401
        api.put("user/7/", data=b"{", content_type="application/json")  # 400
        monkeypatch.setattr(profiles, "get", lambda *args, **kwargs: 1 / 0)
        assert api.get("user/7/").status_code == 500
        monkeypatch.setattr(
            profiles, "get", lambda *args, **kwargs: (_ for _ in ()).throw(redis_py.ConnectionError("down"))
        )
        assert api.get("user/7/").status_code == 503
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert '"request"' in err and "unhandled error" in err  # the lines were written
    for key in (api.key, revoked.key):
        assert key not in err
