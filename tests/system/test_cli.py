"""`tanktop keys ...` against a real Redis, and against the embedded one."""

import json

import pytest

from engine import cli, keys, servers, tenants
from engine import redis as engine_redis

pytestmark = pytest.mark.system


@pytest.fixture
def redis_env(monkeypatch, redis_server):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    r = engine_redis.connect(redis_server.url)
    r.flushall()
    return r


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_list_limit_and_revoke(redis_env, capsys):
    code, out, err = run(capsys, "keys", "create", "--service", "acme", "--plan", "free", "--rate", "5")
    assert code == 0
    key = out.strip()
    assert key.startswith("tt_") and "only time" in err
    record = tenants.lookup(redis_env, key)
    assert (record.service, record.plan, record.rate) == ("acme", "free", 5.0)

    code, out, _ = run(capsys, "keys", "list", "--json")
    listed = json.loads(out)
    assert [k["key_id"] for k in listed] == [record.key_id]
    assert key not in out

    code, out, _ = run(capsys, "keys", "list")
    assert record.key_id in out and "acme" in out and key not in out

    code, out, _ = run(capsys, "keys", "limit", record.key_id, "--rate", "0", "--burst", "9")
    assert code == 0 and "unlimited" in out
    assert tenants.lookup(redis_env, key).rate == 0

    code, out, _ = run(capsys, "keys", "revoke", record.key_id)
    assert code == 0 and "within 5 s" in out
    assert not tenants.lookup(redis_env, key).active


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "create", "--service", "Bad Name", "--plan", "free"), "service name"),
        (("keys", "revoke", "0123456789ab"), "no API key"),
        (("keys", "limit", "tt_nosuchkey000000000000"), "no API key"),
        (("keys", "create", "--service", "a", "--plan", "free", "--rate", "-1"), "rate must be"),
        (("keys", "create", "--service", "a", "--plan", "free", "--rate", "inf"), "rate must be"),
        (("keys", "create", "--service", "a", "--plan", "free", "--rate", "nan"), "rate must be"),
        (("keys", "create", "--service", "a", "--plan", "free", "--burst", "0"), "burst must be"),
    ],
)
def test_bad_requests_exit_2_with_a_message(redis_env, capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err
    assert tenants.count_keys(redis_env) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("keys", "create", "--service", "a", "--plan", "gold"),
        ("keys", "create", "--service", "a", "--plan", "free", "--rate", "fast"),
        ("keys", "create", "--service", "a", "--plan", "free", "--burst", "1.5"),
        ("keys", "create", "--plan", "free"),
    ],
)
def test_argument_errors_exit_2(redis_env, capsys, args):
    with pytest.raises(SystemExit) as caught:
        cli.main(list(args))
    assert caught.value.code == 2


def test_without_redis_url_the_embedded_redis_is_started_and_persists(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("TANKTOP_DATA_DIR", str(tmp_path))
    code, out, _ = run(capsys, "keys", "create", "--service", "acme", "--plan", "commercial")
    assert code == 0
    assert (tmp_path / "redis" / "appendonly.aof").exists()
    code, out, _ = run(capsys, "keys", "list", "--json")  # a new server process, same AOF
    assert [k["service"] for k in json.loads(out)] == ["acme"]
    assert not servers.RedisServer(tmp_path / "redis").is_running()


def test_webhook_secret_is_shown_and_rotated(redis_env, capsys):
    code, out, err = run(capsys, "keys", "webhook-secret", "--service", "acme")
    first = out.strip()
    assert code == 0 and first.startswith("whsec_") and "signed with this secret" in err
    code, out, err = run(capsys, "keys", "webhook-secret", "--service", "acme")  # shown once
    assert code == 1 and out == "" and first not in err and "--rotate" in err
    code, out, err = run(capsys, "keys", "webhook-secret", "--service", "acme", "--rotate")
    assert code == 0 and out.strip() != first and "and by the one it replaced until" in err
    secrets = tenants.webhook_secrets(redis_env, "acme", now_ms=cli.now_ms())
    assert secrets.signing() == [out.strip(), first]
    code, out, err = run(capsys, "keys", "webhook-secret", "--service", "acme")  # the new one: once too
    assert code == 1 and out == "" and secrets.current not in err


def test_a_secret_first_made_by_a_delivery_is_shown_once(redis_env, capsys):
    made = tenants.webhook_secrets(redis_env, "acme", now_ms=cli.now_ms()).current  # a delivery signs
    code, out, _ = run(capsys, "keys", "webhook-secret", "--service", "acme")
    assert code == 0 and out.strip() == made
    assert run(capsys, "keys", "webhook-secret", "--service", "acme")[0] == 1
    assert run(capsys, "keys", "webhook-secret", "--service", "Bad Name")[0] == 2


def test_import_items_stores_good_lines_and_reports_bad_ones(redis_env, capsys, tmp_path):
    path = tmp_path / "items.ndjson"
    lines = [
        json.dumps({"item_type": "movie", "item_id": str(n), "name": f"Film {n}",
                    "availability": [{"source_id": 7, "price": n}]})
        for n in range(2500)
    ]  # fmt: skip
    lines[10] = '{"item_type": "movie", "item_id": "bad", "duration": -1}'
    lines[20] = "not json"
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run(capsys, "import", "items", str(path), "--service", "acme")
    assert code == 0
    assert "imported 2,498 items" in err and "2 lines rejected" in err and "line 11:" in err
    assert "100.0%" in err  # the progress bar's last line
    assert redis_env.exists(keys.catalog_item("acme", "movie", "2499"))
    assert not redis_env.exists(keys.catalog_item("acme", "movie", "bad"))
    assert "line 21: not JSON" in (tmp_path / "items.ndjson.rejected").read_text()


def test_catalog_reindex_indexes_older_items(redis_env, capsys):
    from engine import catalog, notifications

    item = catalog.validate("movie", "1", {"categories": ["Drama"]})
    notifications.put_items(redis_env, "acme", [item], now_ms=cli.now_ms())
    redis_env.hdel(keys.catalog_item("acme", "movie", "1"), *catalog.FACETS)
    code, _, err = run(capsys, "catalog", "reindex", "--service", "acme")
    assert code == 0 and "1 items" in err
    assert redis_env.hget(keys.catalog_item("acme", "movie", "1"), "categories") == '["Drama"]'
    assert run(capsys, "catalog", "reindex", "--service", "Bad Name")[0] == 2
