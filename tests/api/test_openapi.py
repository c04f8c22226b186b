"""The OpenAPI document covers every route, and only real routes."""

import re

import pytest

from api.openapi import build_spec


@pytest.fixture
def spec(app):
    response = app.test_client().get("/api/1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_every_route_and_method_is_documented(app, spec):
    routes = set()
    for rule in app.url_map.iter_rules():
        if "<path:" in rule.rule or rule.endpoint == "static":
            continue  # catch-alls that only explain a mistake
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        routes |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert routes == documented
    assert ("/api/1/{apikey}/user/{uid}/", "patch") in documented


def test_a_route_without_an_operation_breaks_the_document(app):
    @app.get("/undocumented")
    def undocumented():
        return {}

    with pytest.raises(LookupError, match="/undocumented"):
        build_spec(app)


def test_every_operation_has_a_summary_responses_and_its_path_parameters(spec):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"], (path, method)
            assert operation["responses"], (path, method)
            names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert names == set(part[1:-1] for part in path.split("/") if part.startswith("{"))


def test_keyed_operations_document_their_errors_with_the_error_schema(spec):
    operation = spec["paths"]["/api/1/{apikey}/user/{uid}/"]["put"]
    for status in ("400", "401", "412", "413", "415", "429", "503"):
        assert status in operation["responses"], status
    schema = operation["responses"]["401"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Error"}
    error = spec["components"]["schemas"]["ErrorDetail"]
    assert {"status", "code", "message", "fields"} <= set(error["properties"])


def test_request_bodies_come_from_the_marshmallow_schemas(spec):
    body = spec["paths"]["/api/1/{apikey}/user/{uid}/"]["put"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Profile"}
    assert spec["components"]["schemas"]["Profile"]["additionalProperties"] is True
    assert spec["openapi"].startswith("3.")


def test_catch_all_routes_stay_out(spec):
    assert not any("path" in p or "rest" in p for p in spec["paths"])
