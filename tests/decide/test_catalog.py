"""Loading catalogs: the shipped one loads, and every mistake names its field and line."""

from __future__ import annotations

import pytest

from tests.decide._helpers import MODELS, catalog, experience
from waymark.decide.api import load_catalog_text, shipped_catalog
from waymark.decide.errors import CatalogInvalid

GOOD = """\
version: 1
products:
  kit: The Kit
experiences:
  - id: demo
    kind: content
    purpose: consideration
    channels: [web]
    products: [kit]
    stages: {hourglass: [evaluation]}
    template:
      title: "Hi {{ traits.first_name }}"
"""


def load(text: str) -> object:
    return load_catalog_text(text, models=MODELS, name="cat.yaml")


def test_shipped_catalog_covers_the_seed_story() -> None:
    cat = load_catalog_text(shipped_catalog(), models=MODELS, name="learning-kits.yaml")
    kinds = {e.kind for e in cat.experiences}
    purposes = {e.purpose for e in cat.experiences}
    assert {"ad", "content", "script", "review_request", "referral_request"} <= kinds
    assert {"story_request", "message"} <= kinds
    assert {"awareness", "consideration", "onboarding", "service", "advocacy"} <= purposes
    for needed in ("demo-video", "comparison-page", "numbers-game-video", "onboarding-help"):
        assert needed in cat.index
    assert cat.doc.audiences


def test_a_good_catalog_loads() -> None:
    cat = load(GOOD)
    assert [e.id for e in cat.experiences] == ["demo"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "field", "line"),
    [
        ("    kind: content", "    kind: poster", "experiences[0].kind", 6),
        ("    channels: [web]", "    channels: [webb]", "experiences[0].channels[0]", 8),
        ("[evaluation]", "[evaluating]", "experiences[0].stages.hourglass[0]", 10),
        ("{hourglass:", "{sandglass:", "experiences[0].stages.sandglass", 10),
        ("    products: [kit]", "    products: [kite]", "experiences[0].products[0]", 9),
        (
            "    purpose: consideration",
            "    purpose: consideration\n    vaule: 2",
            "experiences[0]",
            5,
        ),
        (
            '"Hi {{ traits.first_name }}"',
            '"Hi {{ traits.first_name "',
            "experiences[0].template.title",
            12,
        ),
        ('"Hi {{ traits.first_name }}"', '"Hi {{ secret }}"', "experiences[0].template.title", 12),
        (
            '"Hi {{ traits.first_name }}"',
            '"{{ traits.items() }}"',
            "experiences[0].template.title",
            12,
        ),
        (
            '"Hi {{ traits.first_name }}"',
            '"{{ x | nosuchfilter }}"',
            "experiences[0].template.title",
            12,
        ),
    ],
)
def test_errors_name_the_field_and_line(old: str, new: str, field: str, line: int) -> None:
    assert old in GOOD
    with pytest.raises(CatalogInvalid) as info:
        load(GOOD.replace(old, new))
    err = info.value
    assert err.field == field
    assert err.line == line
    assert err.file == "cat.yaml"
    assert f"cat.yaml:{line}: {field}:" in str(err)


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(CatalogInvalid) as info:
        load(GOOD + "  - id: [unclosed\n")
    assert info.value.line is not None
    assert info.value.line >= 13


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(CatalogInvalid, match="duplicate experience id"):
        catalog(experience("a"), experience("a"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": -1}, "experiences[0].value"),
        ({"caps": {"day": 0}}, "experiences[0].caps.day"),
        ({"prior": {"alpha": 0, "beta": 1}}, "experiences[0].prior"),
        ({"season": {"start": "13-01", "end": "12-24"}}, "experiences[0].season.start"),
        ({"valid_from": "2026-02-01", "valid_until": "2026-01-01"}, "experiences[0].valid_until"),
        (
            {"conditions": {"traits": [{"trait": "age", "op": "gt", "value": "old"}]}},
            "experiences[0].conditions.traits[0].value",
        ),
    ],
)
def test_rules_name_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(CatalogInvalid) as info:
        catalog(experience("a", **fields))
    assert info.value.field == field


def test_policy_is_validated() -> None:
    with pytest.raises(CatalogInvalid) as info:
        catalog(experience("a"), policy={"holdout": {"share": 1.5}})
    assert info.value.field == "policy.holdout.share"
    with pytest.raises(CatalogInvalid) as info:
        catalog(experience("a"), policy={"holdout": {"defaults": {"web": "nope"}}})
    assert info.value.field == "policy.holdout.defaults.web"
    with pytest.raises(CatalogInvalid) as info:
        catalog(experience("a"), policy={"contact": {"quiet_hours": {"start": "9pm"}}})
    assert info.value.field == "policy.contact.quiet_hours.start"


def test_the_version_follows_the_content() -> None:
    a, b = catalog(experience("a")), catalog(experience("a"))
    c = catalog(experience("a", value=2))
    assert a.version == b.version != c.version
