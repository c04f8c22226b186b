import pytest

from engine import errors, keys, tenants


def test_a_new_key_is_random_long_and_stored_only_as_a_hash(r):
    key, record = tenants.create_key(r, "acme", "free", now_ms=5)
    assert key.startswith("tt_") and len(key) >= 3 + 32  # 192 random bits, base64url
    assert record.key_id == tenants.hash_key(key)[:12]
    dump = [r.dump(name) for name in r.keys("*")]
    assert all(key.encode() not in (blob or b"") for blob in dump)
    assert r.exists(keys.api_key(tenants.hash_key(key)))


def test_two_keys_differ(r):
    first, _ = tenants.create_key(r, "acme", "free", now_ms=5)
    second, _ = tenants.create_key(r, "acme", "free", now_ms=5)
    assert first != second


def test_lookup_finds_the_record(r):
    key, _ = tenants.create_key(r, "acme", "commercial", rate=10, burst=20, now_ms=5)
    record = tenants.lookup(r, key)
    assert (record.service, record.plan, record.rate, record.burst, record.created_ms) == (
        "acme",
        "commercial",
        10.0,
        20,
        5,
    )
    assert record.active
    assert tenants.lookup(r, key + "x") is None
    assert tenants.lookup(r, "short") is None
    assert tenants.lookup(r, "not a key at all!") is None


def test_revoke_by_key_or_id_keeps_the_first_time(r):
    key, record = tenants.create_key(r, "acme", "free", now_ms=5)
    assert tenants.revoke_key(r, record.key_id, now_ms=10).revoked_ms == 10
    assert tenants.revoke_key(r, key, now_ms=20).revoked_ms == 10
    assert not tenants.lookup(r, key).active


def test_revoking_an_unknown_key_says_so(r):
    for name in ("0123456789ab", "tt_nosuchkeyatallreally"):
        with pytest.raises(errors.NotFound):
            tenants.revoke_key(r, name, now_ms=1)


def test_list_shows_every_key_oldest_first(r):
    tenants.create_key(r, "b", "free", now_ms=2)
    tenants.create_key(r, "a", "commercial", now_ms=1)
    assert [(k.service, k.plan) for k in tenants.list_keys(r)] == [("a", "commercial"), ("b", "free")]
    assert tenants.count_keys(r) == 2


def test_limits_can_change(r):
    key, record = tenants.create_key(r, "acme", "free", now_ms=1)
    assert (record.rate, record.burst) == (None, None)
    changed = tenants.set_limits(r, record.key_id, rate=0, burst=None)
    assert (changed.rate, changed.burst) == (0.0, None)
    changed = tenants.set_limits(r, key, rate=None, burst=7)
    assert (changed.rate, changed.burst) == (0.0, 7)


@pytest.mark.parametrize(
    ("service", "plan", "limits"),
    [
        ("Bad Name", "free", {}),
        ("acme", "gold", {}),
        ("acme", "free", {"rate": -1}),
        ("acme", "free", {"burst": 0}),
        ("acme", "free", {"rate": float("nan")}),
        ("acme", "free", {"rate": float("inf")}),
        ("acme", "free", {"rate": 1e-300}),
        ("acme", "free", {"rate": 1e7}),
        ("acme", "free", {"burst": 10**30}),
    ],
)
def test_bad_key_requests_are_refused_and_store_nothing(r, service, plan, limits):
    with pytest.raises(errors.InvalidValue):
        tenants.create_key(r, service, plan, now_ms=1, **limits)
    assert tenants.count_keys(r) == 0


def test_a_colliding_secret_is_drawn_again(r):
    secrets = iter(["same-secret-0123456789", "same-secret-0123456789", "other-secret-0123456789"])
    first, _ = tenants.create_key(r, "acme", "free", now_ms=1, new_secret=lambda: next(secrets))
    second, _ = tenants.create_key(r, "acme", "free", now_ms=1, new_secret=lambda: next(secrets))
    assert first != second
    assert tenants.count_keys(r) == 2


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_cache_serves_for_its_ttl_then_sees_revocation(r):
    key, record = tenants.create_key(r, "acme", "free", now_ms=1)
    clock = Clock()
    cache = tenants.KeyCache(ttl=5, clock=clock)
    assert cache.resolve(r, key).active
    tenants.revoke_key(r, record.key_id, now_ms=2)
    clock.now += 4.9
    assert cache.resolve(r, key).active  # still cached
    clock.now += 0.2
    assert not cache.resolve(r, key).active


def test_cache_does_not_keep_unknown_keys_and_is_bounded(r):
    cache = tenants.KeyCache(ttl=5, max_entries=2, clock=Clock())
    assert cache.resolve(r, "tt_unknownkey0000000000") is None
    made = [tenants.create_key(r, "acme", "free", now_ms=1)[0] for _ in range(3)]
    assert cache.resolve(r, "tt_unknownkey0000000000") is None
    for key in made:
        cache.resolve(r, key)
    assert len(cache._entries) == 2


def test_limits_in_force_fall_back_to_the_defaults():
    def key(rate, burst):
        return tenants.ApiKey("k", "acme", "free", rate, burst, 1, None)

    assert key(None, None).limits(1000, 2000) == (1000, 2000)
    assert key(None, 50).limits(1000, 2000) == (1000, 50)
    assert key(5, None).limits(1000, 2000) == (5, 10)  # two seconds' worth of its own rate
    assert key(0.2, None).limits(1000, 2000) == (0.2, 1)
    assert key(5, 7).limits(1000, 2000) == (5, 7)
