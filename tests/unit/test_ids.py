import pytest

from engine import ids
from engine.errors import InvalidValue


@pytest.mark.parametrize("uid", ["7", "bob", "user@example.org", "a.b_c+d-e", "x" * 32])
def test_valid_user_ids(uid):
    assert ids.user_id(uid) == uid


@pytest.mark.parametrize(
    ("uid", "problem"),
    [
        ("", "is empty"),
        ("x" * 33, "has 33 characters"),
        ("a b", "contains ' '"),
        ("a/b", "contains '/'"),
        ("a\x00b", "contains '\\x00'"),
        ("a\nb", "contains '\\n'"),
        ("{x}", "contains '{'"),
        ("a:b", "contains ':'"),
        ("é", "contains 'é'"),
        (".", "URLs cannot carry"),
        ("..", "URLs cannot carry"),
    ],
)
def test_invalid_user_ids_say_what_is_wrong(uid, problem):
    with pytest.raises(InvalidValue) as caught:
        ids.user_id(uid)
    assert problem in caught.value.message
    assert "1-32 characters" in caught.value.message


def test_non_string_ids_are_refused():
    with pytest.raises(InvalidValue, match="must be a string"):
        ids.user_id(7)


def test_service_names_are_lower_case_and_short():
    assert ids.service_name("tank-top_tv") == "tank-top_tv"
    for bad in ["Tank", "a b", "x" * 33, ""]:
        with pytest.raises(InvalidValue):
            ids.service_name(bad)
