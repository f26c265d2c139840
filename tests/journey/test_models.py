"""Model files: the shipped ones load; a bad one is refused naming file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from waymark.journey.api import SHIPPED_MODELS, load_model, load_model_text
from waymark.journey.errors import ModelError, ModelNotFound

HOURGLASS = (
    "engagement",
    "education",
    "research",
    "evaluation",
    "justification",
    "purchase",
    "adoption",
    "retention",
    "expansion",
    "advocacy",
)
VALUE_JOURNEY = (
    "aware",
    "engage",
    "subscribe",
    "convert",
    "excite",
    "ascend",
    "advocate",
    "promote",
)

MINIMAL = """\
name: tiny
purchase:
  - event: Order Completed
stages:
  - name: looking
    phase: pre_purchase
    question: Is it for me?
    evidence:
      - event: Product Viewed
  - name: owning
    phase: post_purchase
    question: Does it work?
    lapse_after: 30d
    evidence:
      - event: Product Used
"""


def test_shipped_models_have_the_seed_stages_in_order() -> None:
    hourglass = load_model("hourglass")
    assert hourglass.stage_names == HOURGLASS
    assert [s.phase for s in hourglass.stages].count("pre_purchase") == 6
    value = load_model("value-journey")
    assert value.stage_names == VALUE_JOURNEY
    assert [level.name for level in value.stages[0].levels] == [
        "unaware",
        "problem_aware",
        "solution_aware",
        "product_aware",
    ]
    assert load_model("buy-own-advocate").stage_names == ("buy", "own", "advocate")


@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_every_shipped_stage_asks_a_question_and_has_evidence(name: str) -> None:
    model = load_model(name)
    for stage in model.stages:
        assert stage.question.endswith("?"), stage.name
        assert stage.evidence, stage.name
    assert any(rule.events == ("Order Completed",) for rule in model.purchase)


def test_a_model_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(MINIMAL)
    model = load_model(path)
    assert model.stage_names == ("looking", "owning")
    assert model.source == str(path)


def test_unknown_model_is_not_found() -> None:
    with pytest.raises(ModelNotFound):
        load_model("no-such-model")


def _error(text: str) -> ModelError:
    with pytest.raises(ModelError) as info:
        load_model_text(text, file="bad.yaml")
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("    phase: pre_purchase\n", "    phase: before\n", 6, "stages[0].phase"),
        ("    lapse_after: 30d\n", "    lapse_after: soon\n", 13, "stages[1].lapse_after"),
        (
            "      - event: Product Used\n",
            "      - evnt: Product Used\n",
            15,
            "stages[1].evidence[0].evnt",
        ),
        ("    question: Is it for me?\n", "", 5, "stages[0].question"),
        (
            "      - event: Product Viewed\n",
            "      - event: Product Viewed\n        where:\n          properties.n: {gtx: 3}\n",
            11,
            "stages[0].evidence[0].where.properties.n.gtx",
        ),
        (
            "      - event: Product Viewed\n",
            "      - event: Product Viewed\n        where:\n          amount: {gte: 3}\n",
            11,
            "stages[0].evidence[0].where.amount",
        ),
        ("  - name: owning\n", "  - name: looking\n", 10, "stages[1].name"),
        (
            "    lapse_after: 30d\n",
            "    lapse_after: 30d\n    phase: pre_purchase\n",
            None,
            "stages[1].phase",
        ),
        (
            "  - event: Order Completed\n",
            "  - event: Order Completed\n    level: x\n",
            4,
            "purchase[0].level",
        ),
        ("name: tiny\n", "name: Tiny Model\n", 1, "name"),
    ],
)
def test_bad_model_names_file_line_and_field(
    old: str, new: str, line: int | None, field: str
) -> None:
    assert old in MINIMAL
    error = _error(MINIMAL.replace(old, new, 1))
    assert error.file == "bad.yaml"
    assert error.field == field
    if line is not None:
        assert error.line == line
    assert str(error).startswith(f"bad.yaml:{error.line}: {field}: ")
    assert error.code == "journey.model_invalid"


def test_unknown_level_and_pre_after_post_are_refused() -> None:
    text = MINIMAL.replace(
        "      - event: Product Used\n", "      - event: Product Used\n        level: happy\n"
    )
    error = _error(text)
    assert error.field == "stages[1].evidence[0].level"
    assert error.line == 16
    assert error.details["check"] == "journey.level_unknown"


def test_yaml_syntax_error_names_the_line() -> None:
    error = _error("name: x\nstages: [\n  - a\n")
    assert error.line is not None
    assert error.line >= 2


def test_duplicate_key_is_refused() -> None:
    error = _error(MINIMAL.replace("name: tiny\n", "name: tiny\nname: tiny2\n"))
    assert error.field == "name"
    assert error.line == 2
