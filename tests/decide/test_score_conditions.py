"""Catalog conditions on lead scores: ``scores: [{product, label | min_score, subject}]``."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from waymark.decide._conditions import conditions_hold, explain_conditions
from waymark.decide.config import Conditions
from waymark.decide.contracts import LeadScore

NOW = datetime(2026, 9, 8, tzinfo=UTC)
SCORES = (
    LeadScore(
        subject="person", model="hourglass", product="kit", score=55.0, label="marketing-qualified"
    ),
    LeadScore(
        subject="account", model="hourglass", product="kit", score=81.0, label="sales-qualified"
    ),
)


def _conds(yaml_like: dict[str, object]) -> Conditions:
    return msgspec.convert(yaml_like, Conditions)


@pytest.mark.parametrize(
    ("scores", "holds"),
    [
        ([{"product": "kit", "min_score": 50}], True),
        ([{"product": "kit", "min_score": 60}], False),
        ([{"label": "sales-qualified"}], False),  # the person is only marketing-qualified
        ([{"label": "sales-qualified", "subject": "account"}], True),
        ([{"product": "other", "min_score": 1}], False),
        ([{"min_score": 50}, {"subject": "account", "min_score": 80}], True),
    ],
)
def test_score_conditions(scores: list[dict[str, object]], holds: bool) -> None:
    conds = _conds({"scores": scores})
    assert conditions_hold(conds, {}, [], NOW, SCORES) is holds
    assert conditions_hold(conds, {}, [], NOW) is False  # no scores known: never holds


def test_the_reason_names_the_score() -> None:
    conds = _conds({"scores": [{"label": "sales-qualified", "subject": "account"}]})
    assert explain_conditions(conds, {}, [], NOW, SCORES) == [
        "account score 81 for kit (sales-qualified)"
    ]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(msgspec.ValidationError):
        _conds({"scores": [{"lable": "sales-qualified"}]})
