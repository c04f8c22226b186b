from decimal import Decimal

import pytest

from engine import exactjson


@pytest.mark.parametrize(
    "text",
    [
        "1.10",
        "12345678901234567890123456789",
        "-0.0",
        "3.141592653589793238462643383279",
        "1E+400",
        "1e5",
        "-0",
        "0.0000001",
        "100e-2",
        "9" * 5000,
        "0.1",
        '"é☃𝄞"',
        '{"a":[1,2.50,{"b":null}],"c":true,"d":false}',
    ],
)
def test_numbers_and_strings_round_trip_exactly(text):
    assert exactjson.dumps(exactjson.loads(text)) == text


def test_decimals_parse_to_decimal_and_integers_to_int():
    value = exactjson.loads('{"f": 1.5, "i": 10}')
    assert value == {"f": Decimal("1.5"), "i": 10}
    assert type(value["i"]) is int


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", '{"a": NaN}'])
def test_non_numbers_are_refused(text):
    with pytest.raises(exactjson.JSONError, match="not a JSON number"):
        exactjson.loads(text)


def test_invalid_utf8_is_refused_with_its_position():
    with pytest.raises(exactjson.JSONError, match="UTF-8"):
        exactjson.loads(b'{"a": "\xff"}')


def test_lone_surrogates_are_refused():
    with pytest.raises(exactjson.JSONError, match="surrogate"):
        exactjson.loads('{"a": "\\ud800"}')
    with pytest.raises(exactjson.JSONError, match="surrogate"):
        exactjson.loads('{"\\udc00": 1}')


def test_escaped_pairs_become_the_character():
    assert exactjson.loads('"\\ud834\\udd1e"') == "𝄞"


@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")])
def test_depth_counts_containers_whatever_their_kind(open_, close):
    levels = exactjson.MAX_DEPTH // (2 if open_.startswith("[{") else 1)
    assert exactjson.loads(open_ * levels + "1" * (open_ != "[") + close * levels) is not None
    with pytest.raises(exactjson.JSONError, match="nested"):
        exactjson.loads(open_ * (levels + 1) + "1" * (open_ != "[") + close * (levels + 1))


def test_absurd_nesting_is_refused_not_crashed():
    with pytest.raises(exactjson.JSONError):
        exactjson.loads("[" * 100_000)


@pytest.mark.parametrize("text", ["", "{", '{"a":}', "[1,]", "{'a': 1}", "1 2"])
def test_malformed_text_says_where(text):
    with pytest.raises(exactjson.JSONError, match="invalid JSON"):
        exactjson.loads(text)


def test_an_exponent_beyond_range_is_refused_not_crashed():
    with pytest.raises(exactjson.JSONError, match="out of range"):
        exactjson.loads('{"a": 1e9999999999999999999}')


def test_dumps_is_compact_and_keeps_unicode():
    assert exactjson.dumps({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'


def test_numbers_keep_their_text_through_pickle_and_copy():
    import copy
    import pickle

    value = exactjson.loads('{"a": [1e5, 100e-2, -0]}')
    for clone in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value)):
        assert exactjson.dumps(clone) == '{"a":[1e5,100e-2,-0]}'
