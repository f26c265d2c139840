"""Fit: points from traits (a person's or an account's), by the configured rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from waymark.scoring.config import FitRule
from waymark.scoring.contracts import Contribution


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def holds(rule: FitRule, value: Any) -> bool:
    """Typed like journey conditions: numbers compare with numbers, text matches text."""
    if rule.op == "exists":
        return (value is not None) is rule.value
    if value is None:
        return False
    if rule.op == "matches":
        return isinstance(value, str) and rule.pattern().search(value) is not None
    if rule.op == "equals":
        return bool(value == rule.value) and type(value) is type(rule.value)
    if rule.op == "in":
        options = rule.value if isinstance(rule.value, tuple) else (rule.value,)
        return any(value == o and type(value) is type(o) for o in options)
    left, right = _number(value), _number(rule.value)
    if left is None or right is None:
        return False
    return {
        "gte": left >= right,
        "gt": left > right,
        "lte": left <= right,
        "lt": left < right,
    }[rule.op]


def fit(rules: Sequence[FitRule], traits: Mapping[str, Any]) -> list[Contribution]:
    """The contributions of every rule that holds (a rule counts once)."""
    out: list[Contribution] = []
    for rule in rules:
        value = traits.get(rule.trait)
        if holds(rule, value):
            shown = rule.trait if value is None else f"{rule.trait}={value}"
            out.append(Contribution(kind="trait", rule=rule.id, evidence=shown, points=rule.points))
    return out
