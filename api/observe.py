"""Observability: Prometheus metrics at `/metrics`, a request id on every request (the
caller's `X-Request-Id`, or a new one, answered in the same header), and JSON logs
(engine/logs.py) that carry it.

Metrics are prometheus_client's. Under `tanktop run` every process (web workers, RQ
workers) writes its own to PROMETHEUS_MULTIPROC_DIR and `/metrics` sums them; without it,
`/metrics` shows this process's. RQ's queue depths and failed jobs are read from RQ's
Redis when scraped.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Blueprint, Flask, Response, g, has_request_context, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from api.context import state
from api.openapi import operation
from engine import learning, logs, notifications, tenants
from workers.queues import depths as queue_depths

log = logging.getLogger("tanktop.access")

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = Counter("tanktop_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "tanktop_http_request_duration_seconds", "Time to answer, by route", ["route", "method"], buckets=BUCKETS
)
EVENTS_STORED = Counter("tanktop_events_stored", "Events stored (single, fast path and batches)")

#: The event POST route, as the fast path (which has no url_rule) labels it.
EVENT_ROUTE = "/api/1/<apikey>/event/<id:uid>/<id:event>/<id:itemtype>/<id:itemid>/"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id(given: str | None) -> str:
    """The caller's X-Request-Id when it is a sane token, else a new one."""
    return given if given and _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def observe(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def install(app: Flask) -> None:
    """Request ids, metrics and (TANKTOP_ACCESS_LOG) an access log line for every request."""
    access_log = app.extensions["tanktop"].settings.access_log

    @app.before_request
    def start() -> None:
        g.request_id = request_id(request.headers.get("X-Request-Id"))
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        rid = g.get("request_id") or request_id(None)
        response.headers["X-Request-Id"] = rid
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        observe(route, request.method, response.status_code, seconds)
        if access_log:
            from api.errors import masked_path

            log.info(
                "request",
                extra={"method": request.method, "path": masked_path(), "route": route,
                       "status": response.status_code, "ms": round(seconds * 1000, 3)},
            )  # fmt: skip
        return response

    app.register_blueprint(blueprint)


blueprint = Blueprint("metrics", __name__)


class _RqCollector:
    """RQ's queue depths and failed jobs, read when scraped."""

    def __init__(self, conn):
        self.conn = conn

    def collect(self):
        depth = GaugeMetricFamily("tanktop_rq_queue_jobs", "Jobs waiting in an RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("tanktop_rq_failed_jobs", "Jobs in an RQ queue's failed registry",
                                   labels=["queue"])  # fmt: skip
        for name, (waiting, failures) in queue_depths(self.conn).items():
            depth.add_metric([name], waiting)
            failed.add_metric([name], failures)
        yield depth
        yield failed


class _DeliveryCollector:
    """Webhook delivery attempts by service and outcome, counted in Redis by the workers'
    scripts (so every worker's, and none lost with a work horse)."""

    def __init__(self, r):
        self.r = r

    def collect(self):
        family = CounterMetricFamily("tanktop_webhook_deliveries", "Webhook delivery attempts by outcome",
                                     labels=["service", "outcome"])  # fmt: skip
        for service, counts in notifications.delivery_outcomes(self.r, tenants.services(self.r)).items():
            for outcome, count in sorted(counts.items()):
                family.add_metric([service, outcome], count)
        yield family


class _LearningCollector:
    """Per service, the users whose events still wait for the learning job (engine/learning.py):
    a backlog that keeps growing means the workers cannot keep up."""

    def __init__(self, r):
        self.r = r

    def collect(self):
        family = GaugeMetricFamily(
            "tanktop_learning_backlog_users", "Users whose similarity learning is pending", labels=["service"]
        )
        for service, users in learning.backlogs(self.r).items():
            family.add_metric([service], users)
        yield family


@blueprint.get("/metrics")
@operation("Prometheus metrics (text format).", responses={200: ("The metrics.", None)}, keyed=False)
def metrics():
    """Prometheus text format: requests and latency by route, events stored, webhook
    deliveries by service and outcome, the learning backlog, RQ queue depths and failed
    jobs."""
    settings = state().settings
    if settings.metrics_dir is not None:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(settings.metrics_dir))
        text = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        text = generate_latest(REGISTRY)
    for name, collector in (
        ("webhook deliveries", lambda: _DeliveryCollector(state().redis)),
        ("learning backlog", lambda: _LearningCollector(state().redis)),
        ("RQ queue depths", lambda: _RqCollector(state().rq_connection())),
    ):
        try:
            extra = CollectorRegistry()
            extra.register(collector())
            text += generate_latest(extra)
        except Exception as error:  # a Redis down: the rest still answers
            logging.getLogger(__name__).warning("%s unavailable for /metrics: %s", name, error)
    return Response(text, mimetype=CONTENT_TYPE_LATEST)


# Logs


def log_context() -> dict:
    """What the API's log lines carry beyond the record: the request id, in a request."""
    if has_request_context() and g.get("request_id"):
        return {"request_id": g.request_id}
    return {}


def configure_logging() -> None:
    """JSON log lines for a web process, each with its request's id."""
    logs.configure(log_context)
