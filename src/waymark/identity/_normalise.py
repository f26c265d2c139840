"""Identifier values, normalised: the same rules for one value (streaming) and for an Arrow
column (rebuild).

Rules, by kind: every value is trimmed; ``email`` is lower-cased and must look like
``local@domain``; ``phone`` becomes E.164 when ``phonenumbers`` can parse it as a possible
number, else its digits (and a leading ``+``). A value is rejected when, trimmed and
lower-cased, before or after normalisation, it is a blocked value, is made only of ``0`` and
``-``, or is longer than ``MAX_CHARS``.

The column form applies these rules with Arrow kernels to ASCII values and hands every other
value (and every phone number) to the scalar form, so the two can never disagree on Unicode
case or whitespace rules; ``tests/identity/test_normalise.py`` checks they agree.
"""

from __future__ import annotations

import math
import re
from typing import Final

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from waymark.identity.config import IdentifierKind, IdentityConfig

MAX_CHARS: Final = 1024
# Python's str.strip() removes exactly these ASCII characters (str.isspace()).
_ASCII_WS: Final = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_EMAIL_PART: Final = r"[^@ \t\n\r\x0b\x0c\x1c-\x1f]+"
_EMAIL_RE: Final = f"^{_EMAIL_PART}@{_EMAIL_PART}$"
_EMAIL = re.compile(_EMAIL_RE)
_ZEROS_RE: Final = "^[0-]*$"
_NOT_DIGIT = re.compile(r"[^\d]")


def as_text(raw: object) -> str | None:
    """An identifier from a JSON value: strings as they are, integers (and integral floats)
    in decimal; anything else (booleans, objects, lists) is not an identifier."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            return None
        return str(int(raw)) if raw.is_integer() else repr(raw)
    return None


class Normaliser:
    def __init__(self, config: IdentityConfig) -> None:
        self._blocked = config.blocked_values
        self._blocked_array = pa.array(sorted(config.blocked_values), pa.string())
        self._region = config.phone_region

    # -- one value ---------------------------------------------------------------------------

    def value(self, kind: IdentifierKind, raw: str) -> str | None:
        """The normalised identifier, or None when the value is rejected."""
        text = raw.strip()
        if self._rejected(text):
            return None
        if kind == "email":
            text = text.lower()
            if not _EMAIL.match(text):
                return None
        elif kind == "phone":
            text = self._phone(text)
            if self._rejected(text):
                return None
        return text

    def _rejected(self, text: str) -> bool:
        return len(text) > MAX_CHARS or not text.strip("0-") or text.lower() in self._blocked

    def _phone(self, text: str) -> str:
        try:
            number = phonenumbers.parse(text, self._region)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_possible_number(number):
            return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        digits = _NOT_DIGIT.sub("", text)
        return "+" + digits if text.startswith("+") and digits else digits

    # -- a column ----------------------------------------------------------------------------

    def array(self, kind: IdentifierKind, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """``value`` applied to every element (nulls stay null; rejected values become null)."""
        arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if len(arr) == 0:
            return pa.array([], pa.string())
        arr = arr.cast(pa.string())
        if kind == "phone":
            return self._by_unique(kind, arr)
        ascii_mask = pc.fill_null(pc.string_is_ascii(arr), True)
        text = pc.utf8_trim(arr, characters=_ASCII_WS)
        ok = pc.invert(self._rejected_array(text))
        if kind == "email":
            text = pc.ascii_lower(text)
            ok = pc.and_(ok, pc.match_substring_regex(text, _EMAIL_RE))
        fast = pc.if_else(ok, text, pa.scalar(None, pa.string()))
        if pc.all(ascii_mask).as_py():
            return fast
        slow = self._by_unique(kind, arr)
        return pc.if_else(ascii_mask, fast, slow)

    def _rejected_array(self, text: pa.Array) -> pa.Array:
        return pc.or_(
            pc.or_(
                pc.greater(pc.utf8_length(text), MAX_CHARS),
                pc.match_substring_regex(text, _ZEROS_RE),
            ),
            pc.is_in(pc.utf8_lower(text), value_set=self._blocked_array),
        )

    def _by_unique(self, kind: IdentifierKind, arr: pa.Array) -> pa.Array:
        encoded = arr.dictionary_encode()
        uniques = encoded.dictionary.to_pylist()
        mapped = pa.array([self.value(kind, u) for u in uniques], pa.string())
        return mapped.take(encoded.indices)
