"""Identifier normalisation: the rules, and the column form agreeing with the scalar form."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waymark.identity._normalise import Normaliser, as_text
from waymark.identity.config import IdentifierKind, IdentityConfig

N = Normaliser(IdentityConfig.from_mapping({"phone_region": "GB", "blocked_values": ["N/A"]}))


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("plain", "  u1 ", "u1"),
        ("plain", "NULL", None),
        ("plain", "undefined", None),
        ("plain", "Anonymous", None),
        ("plain", "-1", None),
        ("plain", "0000", None),
        ("plain", "0-0-0", None),
        ("plain", "", None),
        ("plain", "n/a", None),
        ("plain", "x" * 1025, None),
        ("plain", "0x1", "0x1"),
        ("email", " Ann@Example.COM ", "ann@example.com"),
        ("email", "ann", None),
        ("email", "a@b@c", None),
        ("email", "a b@c.com", None),
        ("email", "null", None),
        ("phone", "+44 7700 900123", "+447700900123"),
        ("phone", "07700 900123", "+447700900123"),
        ("phone", "(0)7700-900-123", "+447700900123"),
        ("phone", "12", "12"),
        ("phone", "n/a", None),
        ("phone", "--", None),
    ],
)
def test_rules(kind: IdentifierKind, raw: str, expected: str | None) -> None:
    assert N.value(kind, raw) == expected
    assert N.array(kind, pa.array([raw])).to_pylist() == [expected]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a", "a"),
        (12, "12"),
        (12.0, "12"),
        (1.5, "1.5"),
        (True, None),
        (None, None),
        ({"a": 1}, None),
        ([1], None),
        (float("nan"), None),
        (float("inf"), None),
    ],
)
def test_json_values_as_text(raw: object, expected: str | None) -> None:
    assert as_text(raw) == expected


_texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "NULL",
            " null ",
            "0",
            "-",
            "",
            "Ann@X.com",
            " b@c.d\t",
            "\x1cx\x1f",
            "İ@x.io",
            "ß@x.de",
            "\u00a0a@b.c\u00a0",
            "+44 7700 900123",
            "07700900123",
        ]
    ),
    st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=5), st.text(max_size=5)),
)


@settings(max_examples=150, deadline=None)
@given(
    values=st.lists(st.none() | _texts, max_size=20),
    kind=st.sampled_from(["plain", "email", "phone"]),
)
def test_column_form_agrees_with_scalar_form(
    values: list[str | None], kind: IdentifierKind
) -> None:
    expected = [None if v is None else N.value(kind, v) for v in values]
    assert N.array(kind, pa.array(values, pa.string())).to_pylist() == expected
    assert N.array(kind, pa.chunked_array([pa.array(values, pa.string())])).to_pylist() == expected
