"""The template sandbox: only the given mapping, no attributes, no calls, errors at load."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waymark.decide._templates import TemplateProblem, Templates


def render(source: str, **context: object) -> str:
    t = Templates()
    base: dict[str, object] = {"traits": {}, "decision_id": "d1"}
    return t.render(t.compile(source), base | context)


def test_traits_render_and_missing_ones_fall_back() -> None:
    assert render("Hi {{ traits.first_name }}", traits={"first_name": "Ray"}) == "Hi Ray"
    assert render("Hi {{ traits.first_name | default('there') }}") == "Hi there"
    assert render("{{ traits.address.city }}", traits={}) == ""


@pytest.mark.parametrize(
    "source",
    [
        "{{ traits.__class__ }}",
        "{{ traits.items }}",
        "{{ traits | attr('__class__') }}",
        "{{ decision_id.upper }}",
    ],
)
def test_no_attribute_of_any_object(source: str) -> None:
    # attributes of Python objects are not part of the context: they render as nothing
    assert render(source, traits={"first_name": "Ray"}) == ""


@pytest.mark.parametrize(
    "source",
    [
        "{{ traits.items() }}",
        "{{ decision_id.upper() }}",
        "{{ cycler(1, 2) }}",
        "{% for x in range(10) %}{{ x }}{% endfor %}",
        "{{ lipsum() }}",
        "{{ undefined_name }}",
        "{% import 'os' as os %}",
        "{% include 'x.html' %}",
        "{{ 1 + }}",
    ],
)
def test_code_and_unknown_names_fail_at_compile(source: str) -> None:
    with pytest.raises(TemplateProblem):
        Templates().compile(source)


def test_output_is_escaped() -> None:
    assert render("{{ traits.name }}", traits={"name": "<b>x</b>"}) == "&lt;b&gt;x&lt;/b&gt;"


def test_constant_templates_are_kept_as_text() -> None:
    assert Templates().compile("Hello there") == "Hello there"


@given(st.text(max_size=40))
def test_any_trait_value_renders_without_error(value: str) -> None:
    out = render("{{ traits.v }}", traits={"v": value})
    assert "<" not in out and ">" not in out
