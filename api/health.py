"""Liveness and readiness probes (no API key)."""

from flask import Blueprint, jsonify

from api.context import redis
from api.openapi import Status, operation

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation("Is the process up?", responses={200: ("It is.", Status)}, keyed=False)
def healthz():
    """Answers as long as the web process runs; touches nothing else."""
    return jsonify(status="ok")


@bp.get("/readyz")
@operation(
    "Can the service serve requests (is Redis reachable)?",
    responses={200: ("Ready.", Status), 503: ("Redis is unreachable.", "Error")},
    keyed=False,
)
def readyz():
    """PINGs Redis: 200 when it answers, 503 with Retry-After when it does not."""
    redis().ping()
    return jsonify(status="ready")
