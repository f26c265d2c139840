"""What the journey model makes of one event template: which stages it is evidence of, and
whether it is a purchase.

The simulator needs this before any event exists, to choose for each true stage only events
that show that stage and nothing else, and neutral events that show nothing. It reads the
model's rules as documented on ``waymark.journey.contracts`` (typed comparisons, content tagged
with a stage); the tests hold it to the journey engine's own matcher on every template of every
shipped model, so the two cannot drift apart silently.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from waymark.journey.contracts import Condition, EvidenceRule, JourneyModel

_MISSING: Final = object()


class Template(msgspec.Struct, frozen=True, kw_only=True):
    """An event before it has a person, a time or identifiers."""

    key: str
    """The tracking-plan entry it comes from (or ``content:<stage>``)."""
    type: str
    event: str | None = None
    name: str | None = None
    channel: str = "client"
    properties: dict[str, Any] = {}
    referral: bool = False


class Reading(msgspec.Struct, frozen=True):
    stages: frozenset[int]
    purchase: bool


def _read(template: Template, path: tuple[str, ...], channel: str) -> Any:
    head = path[0]
    if len(path) == 1:
        value: Any = {
            "type": template.type,
            "event": template.event,
            "name": template.name,
            "channel": channel,
        }.get(head)
        return _MISSING if value is None else value
    if head != "properties":
        return _MISSING
    value = template.properties
    for key in path[1:]:
        if not isinstance(value, dict):
            return _MISSING
        value = value.get(key, _MISSING)
    return _MISSING if value is None else value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, bool):
        return value is expected
    if isinstance(expected, str):
        return isinstance(value, str) and value == expected
    return _number(value) and value == expected


def _holds(cond: Condition, value: Any) -> bool:
    op = cond.op
    if op == "exists":
        return (value is not _MISSING) is bool(cond.value)
    if op in ("equals", "not_equals"):
        return _same(value, cond.value) is (op == "equals")
    if op in ("in", "not_in"):
        options = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        return any(_same(value, o) for o in options) is (op == "in")
    if not _number(value) or not _number(cond.value):
        return False
    bound = float(cond.value)  # type: ignore[arg-type]
    number = float(value)
    if op == "gt":
        return number > bound
    if op == "gte":
        return number >= bound
    if op == "lt":
        return number < bound
    return number <= bound


def matches(rule: EvidenceRule, template: Template, channel: str | None = None) -> bool:
    """Whether ``template`` (sent through ``channel``) satisfies ``rule``."""
    if rule.events:
        if template.type != "track" or template.event not in rule.events:
            return False
    elif rule.names:
        types = (rule.type,) if rule.type else ("page", "screen")
        if template.type not in types or template.name not in rule.names:
            return False
    elif rule.type is not None and template.type != rule.type:
        return False
    where = channel or template.channel
    return all(_holds(c, _read(template, c.path, where)) for c in rule.where)


def reading(model: JourneyModel, template: Template) -> Reading:
    """The stages ``template`` is evidence of, and whether it is a purchase."""
    stages = {
        i
        for i, stage in enumerate(model.stages)
        for rule in stage.evidence
        if matches(rule, template)
    }
    content = model.content
    if any(matches(rule, template) for rule in content.rules):
        tagged = template.properties.get(content.stage_property)
        names = model.stage_names
        if isinstance(tagged, str) and tagged in names:
            stages.add(names.index(tagged))
        cid = template.properties.get(content.id_property)
        for content_id, stage_name, _level in content.catalog:
            if cid == content_id:
                stages.add(names.index(stage_name))
    purchase = any(matches(rule, template) for rule in model.purchase)
    return Reading(frozenset(stages), purchase)


def satisfying(rule: EvidenceRule) -> dict[str, Any] | None:
    """Properties that satisfy every condition of ``rule`` on ``properties``; None when a
    condition looks elsewhere (the simulator then does not synthesise from this rule)."""
    props: dict[str, Any] = {}
    for cond in rule.where:
        if cond.path[0] != "properties" or len(cond.path) != 2:
            return None
        key, value = cond.path[1], cond.value
        options = value if isinstance(value, tuple) else (value,)
        chosen: Any
        if cond.op in ("equals", "in"):
            chosen = options[0]
        elif cond.op == "exists":
            if not value:
                continue
            chosen = props.get(key, "yes")
        elif cond.op in ("gt", "gte", "lt", "lte") and _number(value):
            step = {"gt": 1, "gte": 0, "lt": -1, "lte": 0}[cond.op]
            chosen = value + step  # type: ignore[operator]
        elif cond.op in ("not_equals", "not_in"):
            chosen = "other"
        else:
            return None
        props.setdefault(key, chosen)
    return props
