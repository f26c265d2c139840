"""Conditions on profile traits and recent events (per experience, per audience).

Only experiences that survived the vectorised filters and have conditions reach this, so a
plain function per condition is cheap enough and easy to read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from waymark.decide.config import Conditions, EventCondition, ScoreCondition, TraitCondition
from waymark.decide.contracts import LeadScore, RecentEvent

_MISSING = object()


def trait_value(traits: Mapping[str, Any], name: str) -> Any:
    """A trait by name; dots reach into nested mappings. ``_MISSING`` when absent."""
    value: Any = traits
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def trait_holds(cond: TraitCondition, traits: Mapping[str, Any]) -> bool:
    value = trait_value(traits, cond.trait)
    if cond.op == "exists":
        return value is not _MISSING and value is not None
    if cond.op == "missing":
        return value is _MISSING or value is None
    if value is _MISSING:
        # "ne" / "not_in" on a trait the customer does not have: nothing to contradict
        return cond.op in ("ne", "not_in")
    if cond.op == "eq":
        return bool(value == cond.value)
    if cond.op == "ne":
        return bool(value != cond.value)
    if cond.op == "in":
        return value in cond.value
    if cond.op == "not_in":
        return value not in cond.value
    left, right = _number(value), _number(cond.value)
    if left is None or right is None:
        return False
    if cond.op == "gt":
        return left > right
    if cond.op == "gte":
        return left >= right
    if cond.op == "lt":
        return left < right
    return left <= right


def matching_events(
    cond: EventCondition, events: Sequence[RecentEvent], now: datetime
) -> list[RecentEvent]:
    since = now - timedelta(days=cond.within_days) if cond.within_days is not None else None
    out: list[RecentEvent] = []
    for ev in events:
        if ev.name != cond.event or (since is not None and ev.at < since):
            continue
        if all(ev.properties.get(k, _MISSING) == v for k, v in cond.properties.items()):
            out.append(ev)
    return out


def event_holds(cond: EventCondition, events: Sequence[RecentEvent], now: datetime) -> bool:
    found = len(matching_events(cond, events, now)) >= cond.min_count
    return not found if cond.absent else found


def matching_scores(cond: ScoreCondition, scores: Sequence[LeadScore]) -> list[LeadScore]:
    return [
        s
        for s in scores
        if s.subject == cond.subject
        and (cond.product is None or s.product == cond.product)
        and (cond.model is None or s.model == cond.model)
        and (cond.min_score is None or s.score >= cond.min_score)
        and (cond.label is None or s.label == cond.label)
    ]


def conditions_hold(
    conds: Conditions,
    traits: Mapping[str, Any],
    events: Sequence[RecentEvent],
    now: datetime,
    scores: Sequence[LeadScore] = (),
) -> bool:
    return (
        all(trait_holds(c, traits) for c in conds.traits)
        and all(event_holds(c, events, now) for c in conds.events)
        and all(matching_scores(c, scores) for c in conds.scores)
    )


def _ago(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 1:
        return "just now"
    if hours < 24:
        return f"{int(hours)} hour{'s' if int(hours) != 1 else ''} ago"
    days = int(hours // 24)
    return f"{days} day{'s' if days != 1 else ''} ago"


def explain_conditions(
    conds: Conditions,
    traits: Mapping[str, Any],
    events: Sequence[RecentEvent],
    now: datetime,
    scores: Sequence[LeadScore] = (),
) -> list[str]:
    """Plain-words clauses saying which conditions held (for the reason)."""
    clauses: list[str] = []
    for s_cond in conds.scores:
        for s in matching_scores(s_cond, scores)[:1]:
            whose = "account" if s.subject == "account" else "lead"
            named = f" ({s.label})" if s.label else ""
            clauses.append(f"{whose} score {s.score:.0f} for {s.product}{named}")
    for ev_cond in conds.events:
        what = ev_cond.event
        if ev_cond.properties:
            what += " (" + ", ".join(f"{k} {v}" for k, v in ev_cond.properties.items()) + ")"
        if ev_cond.absent:
            clauses.append(f"no {what} yet")
            continue
        found = matching_events(ev_cond, events, now)
        if found:
            clauses.append(f"{what} {_ago(now - found[0].at)}")
    for t_cond in conds.traits:
        value = trait_value(traits, t_cond.trait)
        shown = "not set" if value is _MISSING else repr(value)
        clauses.append(f"{t_cond.trait} is {shown}")
    return clauses
