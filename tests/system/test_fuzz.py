"""Fuzzing every operation of the OpenAPI document (issue 9, point 1).

schemathesis generates requests from the app's own /api/1/openapi.json (path and query
parameters, headers, bodies), with a valid key of a commercial service, and sends them to
the app as `tanktop web` serves it (the event fast path included) on a real Redis. Every
answer must be no 5xx, a documented status code, of the documented content type, match
its documented schema and carry the documented headers. Requests the schema allows but the
engine refuses for their meaning (a cursor no list gave out, say) are fine: the 4xx they
get must be documented. Then schema-invalid requests (wrong types, missing and extra
fields, out-of-range values): a documented 4xx, never a 5xx.

TANKTOP_FUZZ_EXAMPLES sets the examples per operation (default 100 valid, half as many
invalid: about 90 s in all)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

from api import create_app
from engine import redis as engine_redis
from engine import tenants
from engine.settings import Settings

pytestmark = pytest.mark.system

EXAMPLES = int(os.environ.get("TANKTOP_FUZZ_EXAMPLES", "100"))
CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def fuzzed(redis_server):
    r = engine_redis.connect(redis_server.url)
    r.flushall()
    key, _ = tenants.create_key(r, "fuzz", "commercial", rate=0, now_ms=1_700_000_000_000)
    app = create_app(Settings(), redis=r, enqueue=lambda service, ids: None)
    yield schemathesis.openapi.from_wsgi("/api/1/openapi.json", app), key
    r.close()


@pytest.mark.parametrize(
    ("mode", "examples"),
    [(schemathesis.GenerationMode.POSITIVE, EXAMPLES), (schemathesis.GenerationMode.NEGATIVE, EXAMPLES // 2)],
    ids=["valid", "invalid"],
)
def test_every_operation_answers_as_documented(fuzzed, mode, examples):
    schema, key = fuzzed
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures: dict[str, str] = {}
    for operation in operations:
        try:
            fuzz(operation, key, mode, examples)
        except Unsatisfiable:  # nothing in it to make invalid (GET /healthz)
            assert mode is schemathesis.GenerationMode.NEGATIVE
        except (Exception, BaseExceptionGroup) as error:  # schemathesis: with a request to reproduce
            failures[operation.label] = str(error)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def fuzz(operation, key: str, mode, examples: int) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if "apikey" in (case.path_parameters or {}):
            case.path_parameters["apikey"] = key
        if operation.path.startswith("/metax/"):  # seed 003 takes the key as a bearer token
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
        case.validate_response(case.call(), checks=CHECKS)

    run()
