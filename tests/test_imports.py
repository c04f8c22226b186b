"""Imports point one way: api -> engine, workers.queues; workers -> engine; engine -> redis."""

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names)
#: What each package may import besides the standard library.
ALLOWED = {
    "engine": {"engine", "redis"},
    "workers": {"workers", "engine", "redis", "rq"},
    "api": {"api", "engine", "workers", "flask", "werkzeug", "marshmallow", "apispec", "prometheus_client"},
}


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (imports are absolute here)"
            yield node.module


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top not in STDLIB and top not in ALLOWED[package] and top != "__future__":
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders, "\n".join(offenders)


def test_api_reaches_workers_only_through_queues():
    for path in sorted((ROOT / "api").rglob("*.py")):
        for module in imported_modules(path):
            if module.startswith("workers"):
                assert module == "workers.queues", f"{path} imports {module}"


def test_only_engine_keys_builds_key_strings():
    sources = [
        *(ROOT / "engine").rglob("*.py"),
        *(ROOT / "api").rglob("*.py"),
        *(ROOT / "workers").rglob("*.py"),
    ]
    for path in sources + sorted((ROOT / "lua").rglob("*.lua")):
        if path == ROOT / "engine" / "keys.py":
            continue
        assert not re.search(r"""["'][^"']*\btt:""", path.read_text()), f"{path} builds a key"
