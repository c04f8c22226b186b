"""JSON that keeps numbers exactly as written.

The standard library reads `1.10` and `12345678901234567890.5` as floats and writes back
`1.1` and `1.2345678901234567e+19`. Here every number whose text Python would not write
back the same (`1.10`, `1e5`, `-0`, a 5,000-digit integer) is read as a `Number`: a
`Decimal` that remembers its text and is written back with it, character for character.
Plain integers stay `int`. NaN and Infinity, which are not JSON, are refused, as are strings
holding lone UTF-16 surrogates (not Unicode text: they cannot be stored as UTF-8) and
containers nested more than MAX_DEPTH deep.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

MAX_DEPTH = 64

#: A JSON number, as text: ASCII digits only (Python's \d also takes other scripts' digits).
NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")

_SURROGATE = re.compile("[\ud800-\udfff]")
_encode_string = json.encoder.encode_basestring  # ensure_ascii=False, C-accelerated


def in_range(text: str) -> bool:
    """Whether JSON number text lies within what every JSON reader holds as a double
    (magnitudes from 1e-300 to 1e300, or 0). Exponents are checked before any arithmetic:
    Decimal refuses 1e9999999999999999999 outright."""
    try:
        magnitude = Decimal(text)
    except ArithmeticError:
        return False
    return not magnitude or -300 <= magnitude.adjusted() <= 300


class Number(Decimal):
    """A JSON number that keeps the text it was written with."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> Number:
        try:
            number = super().__new__(cls, text)
        except ArithmeticError:  # an exponent beyond Decimal's range
            raise JSONError(f"the number {text[:40]} is out of range") from None
        number.text = text
        return number

    def __reduce__(self):  # pickle and copy keep the text too
        return (Number, (self.text,))


def _parse_int(text: str) -> int | Number:
    if len(text) <= 18 and text != "-0":
        return int(text)
    return Number(text)


class JSONError(ValueError):
    """The text is not JSON this service accepts; the message says why, for people."""


def _refuse_constant(name: str) -> Any:
    raise JSONError(f"{name} is not a JSON number")


_EXACT = json.JSONDecoder(parse_float=Number, parse_int=_parse_int, parse_constant=_refuse_constant)
_LEAN = json.JSONDecoder(parse_float=Number, parse_constant=_refuse_constant)


def loads(data: bytes | str, *, lean: bool = False) -> Any:
    """Parse JSON text (UTF-8 bytes or str), keeping numbers exact. `lean` is for callers
    that check every value themselves (event lines: ids against their charsets, values as
    numbers): integers come as plain ints, and no walk looks for lone surrogates or depth."""
    if isinstance(data, bytes | bytearray):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise JSONError(f"not valid UTF-8 (byte {error.start})") from None
    try:
        value = (_LEAN if lean else _EXACT).decode(data)
    except JSONError:
        raise
    except RecursionError:
        raise JSONError(f"nested more than {MAX_DEPTH} levels deep") from None
    except json.JSONDecodeError as error:
        raise JSONError(f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except ValueError as error:  # an integer beyond int's digit limit
        raise JSONError(f"invalid JSON: {error}") from None
    if not lean:
        _check(value, 0)
    return value


def _check(value: Any, depth: int) -> None:
    """Refuse lone surrogates and containers nested deeper than MAX_DEPTH (the outermost
    object or array is level 1)."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise JSONError("a string holds a lone UTF-16 surrogate, which is not Unicode text")
        return
    if not isinstance(value, dict | list):
        return
    depth += 1
    if depth > MAX_DEPTH:
        raise JSONError(f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth)
            _check(item, depth)
    else:
        for item in value:
            _check(item, depth)


def _no_default(value: Any) -> Any:
    raise TypeError


def dumps_string(value: str) -> str:
    """JSON text of one string (the fast path for object keys)."""
    return _encode_string(value)


def dumps(value: Any) -> str:
    """Compact JSON text of `value`; Decimals are written with all their digits."""
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_no_default
        )
    except TypeError:
        parts: list[str] = []
        _write(value, parts.append)
        return "".join(parts)


def _write(value: Any, out) -> None:
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(_encode_string(value))
    elif isinstance(value, int):
        out(int.__repr__(value))
    elif isinstance(value, Number):
        out(value.text)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        out(str(value))
    elif isinstance(value, float):
        out(json.dumps(value, allow_nan=False))
    elif isinstance(value, dict):
        out("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out(",")
            out(_encode_string(str(key)))
            out(":")
            _write(item, out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _write(item, out)
        out("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
