"""Imports point one way: api -> engine, workers.queues; workers -> engine; engine -> redis."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "engine": {"flask", "werkzeug", "rq", "marshmallow", "apispec", "api", "workers", "gunicorn", "granian"},
    "workers": {"flask", "werkzeug", "marshmallow", "apispec", "api"},
    "api": {"rq"},
}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN[package]:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_api_reaches_workers_only_through_queues():
    for path in sorted((ROOT / "api").rglob("*.py")):
        for module in imported_modules(path):
            if module.startswith("workers"):
                assert module == "workers.queues", f"{path} imports {module}"


def test_only_engine_keys_builds_key_strings():
    for path in sorted((ROOT / "engine").rglob("*.py")):
        if path.name == "keys.py":
            continue
        assert '"tt:' not in path.read_text() and "'tt:" not in path.read_text(), path
