from decimal import Decimal

import pytest

from engine import errors, keys, profiles

SVC = "acme"


def test_put_creates_then_replaces(r):
    profile, created = profiles.put(r, SVC, "7", {"name": "Bob", "age": 40})
    assert created
    assert profile.to_dict() == {"id": "7", "name": "Bob", "age": 40}
    profile, created = profiles.put(r, SVC, "7", {"name": "Rob"})
    assert not created
    assert profiles.get(r, SVC, "7").to_dict() == {"id": "7", "name": "Rob"}


def test_stored_text_comes_back_unchanged(r):
    doc = {"n": 12345678901234567890123, "f": Decimal("1.10"), "s": "é☃𝄞", "nested": {"b": [Decimal("0.1")]}}
    profiles.put(r, SVC, "7", doc)
    text = profiles.get(r, SVC, "7").to_json()
    assert text == '{"id":"7","f":1.10,"n":12345678901234567890123,"nested":{"b":[0.1]},"s":"é☃𝄞"}'


def test_every_write_changes_the_etag(r):
    first, _ = profiles.put(r, SVC, "7", {"a": 1})
    assert profiles.get(r, SVC, "7").etag == first.etag
    second = profiles.patch(r, SVC, "7", {"a": 1})
    assert second.etag != first.etag
    assert profiles.get(r, SVC, "7").etag == second.etag


def test_if_match_guards_put_and_patch(r):
    first, _ = profiles.put(r, SVC, "7", {"a": 1})
    with pytest.raises(errors.PreconditionFailed):
        profiles.put(r, SVC, "7", {"a": 2}, if_match=["0000000000000000"])
    with pytest.raises(errors.PreconditionFailed):
        profiles.patch(r, SVC, "7", {"a": 2}, if_match=["0000000000000000"])
    with pytest.raises(errors.PreconditionFailed):
        profiles.deactivate(r, SVC, "7", now_ms=1, if_match=["0000000000000000"])
    assert profiles.get(r, SVC, "7").to_dict() == {"id": "7", "a": 1}
    second = profiles.patch(r, SVC, "7", {"a": 2}, if_match=[first.etag])
    third, _ = profiles.put(r, SVC, "7", {"a": 3}, if_match=["zzz", second.etag])
    assert profiles.get(r, SVC, "7").to_dict() == {"id": "7", "a": 3}
    profiles.deactivate(r, SVC, "7", now_ms=1, if_match=[third.etag])
    assert profiles.get(r, SVC, "7") is None


def test_tags_that_are_not_our_etags_never_match(r):
    profile, _ = profiles.put(r, SVC, "7", {"a": 1})
    for tags in ([f"zz {profile.etag}"], ["*"], [profile.etag.upper()], []):
        with pytest.raises(errors.PreconditionFailed):
            profiles.patch(r, SVC, "7", {"a": 2}, if_match=tags)


def test_if_match_star_needs_an_active_profile(r):
    with pytest.raises(errors.PreconditionFailed):
        profiles.put(r, SVC, "7", {"a": 1}, if_match="*")
    assert profiles.get(r, SVC, "7") is None
    profiles.put(r, SVC, "7", {"a": 1})
    profiles.put(r, SVC, "7", {"a": 2}, if_match="*")
    assert profiles.get(r, SVC, "7").to_dict()["a"] == 2


def test_only_if_absent_refuses_to_replace(r):
    profiles.put(r, SVC, "7", {"a": 1}, only_if_absent=True)
    with pytest.raises(errors.PreconditionFailed):
        profiles.put(r, SVC, "7", {"a": 2}, only_if_absent=True)
    assert profiles.get(r, SVC, "7").to_dict()["a"] == 1


def test_patch_merges_nested_objects_and_deletes_nulls(r):
    profiles.put(r, SVC, "7", {"prefs": {"lang": "en", "hd": True}, "old": 1, "keep": [1]})
    profile = profiles.patch(
        r, SVC, "7", {"prefs": {"hd": None, "subs": "fr"}, "old": None, "new": {"x": None, "y": 1}}
    )
    expected = {"id": "7", "prefs": {"lang": "en", "subs": "fr"}, "keep": [1], "new": {"y": 1}}
    assert profile.to_dict() == expected
    assert profiles.get(r, SVC, "7").to_dict() == expected


def test_patch_replaces_a_non_object_with_an_object(r):
    profiles.put(r, SVC, "7", {"a": [1, 2]})
    assert profiles.patch(r, SVC, "7", {"a": {"b": 1}}).to_dict()["a"] == {"b": 1}


def test_patch_retries_when_the_profile_changes_under_it(r, monkeypatch):
    profiles.put(r, SVC, "7", {"prefs": {"a": 1}})
    real_hmget = r.hmget
    calls = []

    def hmget_then_interfere(key, names):
        result = real_hmget(key, names)
        if not calls:
            calls.append(1)
            profiles.patch(r, SVC, "7", {"prefs": {"b": 2}})  # lands between read and write
        return result

    monkeypatch.setattr(r, "hmget", hmget_then_interfere)
    profile = profiles.patch(r, SVC, "7", {"prefs": {"c": 3}})
    assert profile.to_dict()["prefs"] == {"a": 1, "b": 2, "c": 3}


def test_patch_of_a_missing_or_deactivated_user_is_not_found(r):
    with pytest.raises(errors.NotFound):
        profiles.patch(r, SVC, "7", {"a": 1})
    with pytest.raises(errors.NotFound):
        profiles.patch(r, SVC, "7", {"a": {"b": 1}})
    profiles.put(r, SVC, "7", {"a": 1})
    profiles.deactivate(r, SVC, "7", now_ms=1)
    with pytest.raises(errors.NotFound):
        profiles.patch(r, SVC, "7", {"a": 2})
    with pytest.raises(errors.NotFound):
        profiles.patch(r, SVC, "7", {"a": {"b": 1}})
    assert not r.exists(keys.profile(SVC, "8"))


def test_deactivate_hides_and_put_recreates(r):
    profiles.put(r, SVC, "7", {"a": 1})
    profiles.deactivate(r, SVC, "7", now_ms=1)
    assert profiles.get(r, SVC, "7") is None
    with pytest.raises(errors.NotFound):
        profiles.deactivate(r, SVC, "7", now_ms=2)
    _, created = profiles.put(r, SVC, "7", {"b": 2})
    assert created
    assert profiles.get(r, SVC, "7").to_dict() == {"id": "7", "b": 2}


def test_reserved_keys_and_foreign_ids_are_refused(r):
    for doc in ({"_x": 1}, {"id": "8"}, {"id": True}, {"id": None}):
        with pytest.raises(errors.InvalidValue):
            profiles.put(r, SVC, "7", doc)
    for doc in ({"_x": None}, {"id": None}, {"id": "8"}):
        with pytest.raises(errors.InvalidValue):
            profiles.patch(r, SVC, "7", doc)
    assert not r.exists(keys.profile(SVC, "7"))


def test_matching_id_in_the_body_is_accepted_and_not_stored(r):
    profiles.put(r, SVC, "7", {"id": "7", "a": 1})
    profiles.put(r, SVC, "8", {"id": 8})
    assert r.hget(keys.profile(SVC, "7"), "id") is None
    assert profiles.get(r, SVC, "8").to_dict() == {"id": "8"}


def test_size_limit_applies_to_put_and_to_the_result_of_patch(r):
    big = "x" * (profiles.MAX_BYTES - 10)
    profiles.put(r, SVC, "7", {"a": big})
    with pytest.raises(errors.TooLarge):
        profiles.put(r, SVC, "8", {"a": big + "x" * 20})
    with pytest.raises(errors.TooLarge):
        profiles.patch(r, SVC, "7", {"b": "y" * 20})
    assert profiles.get(r, SVC, "7").to_dict() == {"id": "7", "a": big}
    profiles.patch(r, SVC, "7", {"a": None, "b": "y" * 20})  # smaller after the patch: fine


def test_many_keys_are_written_in_chunks(r):
    doc = {f"k{i}": i for i in range(5000)}
    profiles.put(r, SVC, "7", doc)
    profile = profiles.patch(
        r, SVC, "7", {f"k{i}": None for i in range(2500)} | {f"n{i}": 1 for i in range(2500)}
    )
    assert len(profile.fields) == 5000
    assert profiles.get(r, SVC, "7").fields == profile.fields


def test_server_ids_are_new_and_never_reused(r):
    ids = iter(["taken", "taken", "fresh"])
    profiles.put(r, SVC, "taken", {})
    profiles.deactivate(r, SVC, "taken", now_ms=1)
    profile = profiles.create(r, SVC, {"a": 1}, new_id=lambda: next(ids))
    assert profile.uid == "fresh"
    with pytest.raises(errors.InvalidValue):
        profiles.create(r, SVC, {"id": "x"})


def test_services_do_not_see_each_other(r):
    profiles.put(r, "acme", "7", {"a": 1})
    assert profiles.get(r, "rival", "7") is None
    profiles.put(r, "rival", "7", {"b": 2})
    assert profiles.get(r, "acme", "7").to_dict() == {"id": "7", "a": 1}


def test_scripts_are_reloaded_after_a_flush(r):
    r.script_flush()
    profiles.put(r, SVC, "7", {"a": 1})
    assert profiles.get(r, SVC, "7").to_dict() == {"id": "7", "a": 1}
