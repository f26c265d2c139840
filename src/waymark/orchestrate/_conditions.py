"""Conditions of triggers and branches, evaluated against the trigger, the profile's traits,
its recent events and its journey stages. Comparisons are typed: ``"5"`` never equals ``5``
and ``true`` never equals ``1``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from waymark.orchestrate._durations import parse_duration
from waymark.orchestrate.config import Condition
from waymark.orchestrate.contracts import ProfileView


@dataclass(frozen=True)
class Scope:
    """What a condition can see."""

    trigger: Mapping[str, Any]
    """The trigger's fields (an event's name, properties, channel; a stage change's model,
    product, from, to)."""
    product: str | None
    started_at: datetime
    now: datetime


def lookup(data: Mapping[str, Any], dotted: str) -> Any:
    """``properties.order.total`` in nested mappings; None when any part is absent."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


def _order(a: Any, b: Any) -> int | None:
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (a > b) - (a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    return None


def compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "exists":
        return actual is not None
    if op == "missing":
        return actual is None
    if op == "eq":
        return actual is not None and _same(actual, expected)
    if op == "ne":
        return actual is None or not _same(actual, expected)
    if op in ("in", "not_in"):
        found = actual is not None and any(_same(actual, e) for e in expected or ())
        return found if op == "in" else not found
    order = _order(actual, expected)
    if order is None:
        return False
    return {"gt": order > 0, "gte": order >= 0, "lt": order < 0, "lte": order <= 0}[op]


def _event_holds(cond: Condition, profile: ProfileView, scope: Scope) -> bool:
    since: datetime | None = None
    if cond.within is not None:
        since = scope.now - parse_duration(cond.within)
    if cond.since_trigger:
        since = max(since, scope.started_at) if since is not None else scope.started_at
    found = False
    for ev in profile.recent:
        if ev.label != cond.event or (since is not None and ev.at < since):
            continue
        if all(_same(ev.properties.get(k), v) for k, v in cond.properties.items()):
            found = True
            break
    return found != cond.absent


def holds(cond: Condition, profile: ProfileView | None, scope: Scope) -> bool:
    """One condition. Profile conditions on an unknown profile do not hold."""
    if cond.field is not None:
        return compare(lookup(scope.trigger, cond.field), cond.op, cond.value)
    if profile is None:
        return False
    if cond.trait is not None:
        return compare(lookup(profile.traits, cond.trait), cond.op, cond.value)
    if cond.event is not None:
        return _event_holds(cond, profile, scope)
    product = cond.product or scope.product
    stage = next(
        (p.stage for p in profile.stages if p.model == cond.journey and p.product == product),
        None,
    )
    return compare(stage, cond.op, cond.value)


def all_hold(conds: Sequence[Condition], profile: ProfileView | None, scope: Scope) -> bool:
    return all(holds(c, profile, scope) for c in conds)


def needs_profile(conds: Sequence[Condition]) -> bool:
    return any(c.field is None for c in conds)
