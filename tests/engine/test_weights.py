import pytest

from engine import errors, weights


def test_defaults_until_a_service_sets_its_own(r):
    assert weights.effective(r, "acme") == weights.DEFAULTS
    changed = weights.put(r, "acme", {"recommendations": {"seen": 4, "likes": 2.5}})
    assert changed["recommendations"]["seen"] == 4.0 and changed["recommendations"]["likes"] == 2.5
    assert changed["sections"] == weights.DEFAULTS["sections"]
    assert weights.effective(r, "acme") == changed
    assert weights.effective(r, "rival") == weights.DEFAULTS


def test_a_put_replaces_the_previous_overrides(r):
    weights.put(r, "acme", {"sections": {"detail": 9}})
    weights.put(r, "acme", {"recommendations": {"seen": 1}})
    assert weights.effective(r, "acme")["sections"]["detail"] == weights.DEFAULTS["sections"]["detail"]


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"scores": {}},
        {"sections": []},
        {"sections": {"Detail": 1}},
        {"sections": {"detail": "1"}},
        {"sections": {"detail": True}},
        {"sections": {"detail": 101}},
        {"sections": {"detail": float("nan")}},
    ],
)
def test_bad_weights_are_refused_and_change_nothing(r, doc):
    weights.put(r, "acme", {"sections": {"detail": 7}})
    with pytest.raises(errors.InvalidValue):
        weights.put(r, "acme", doc)
    assert weights.effective(r, "acme")["sections"]["detail"] == 7.0


def test_weights_keep_whole_numbers_and_refuse_vanishing_ones(r):
    assert weights.put(r, "acme", {"sections": {"detail": 2}})["sections"]["detail"] == 2
    from decimal import Decimal

    with pytest.raises(errors.InvalidValue):
        weights.put(r, "acme", {"sections": {"detail": Decimal("1e-400")}})
